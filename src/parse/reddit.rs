//! Reddit listings through the public `.json` endpoints: a subreddit's newest posts
//! (`/r/<name>/new.json`) or a search (`/r/<name>/search.json?q=…&sort=new`, `/search.json`).
//! Each post becomes one item; a link post's target is a shared link, a crosspost records the
//! post it shares. Paging: each poll asks only for posts newer than the newest seen
//! (`before=<fullname>`). Where the JSON API is closed, the same listings as `.rss` work as
//! ordinary feeds.

use super::{ParseError, Parsed};
use crate::model::{Engagement, Fetched, RawItem, Social};
use serde::Deserialize;
use url::Url;

/// Posts asked for per request (the API's maximum).
pub const PAGE_SIZE: u32 = 100;
/// Where permalinks point.
const SITE: &str = "https://www.reddit.com";

#[derive(Deserialize)]
struct Listing {
    data: ListingData,
}

#[derive(Deserialize)]
struct ListingData {
    children: Vec<Thing>,
}

#[derive(Deserialize)]
struct Thing {
    kind: String,
    data: Post,
}

#[derive(Deserialize)]
struct Post {
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    selftext: String,
    #[serde(default)]
    author: String,
    created_utc: f64,
    permalink: String,
    url: Option<String>,
    #[serde(default)]
    is_self: bool,
    score: Option<i64>,
    num_comments: Option<u64>,
    crosspost_parent: Option<String>,
}

#[derive(Deserialize)]
struct ApiError {
    message: String,
    error: Option<u16>,
}

/// Parses a Listing of posts.
pub fn parse_listing(fetched: &Fetched) -> Result<Parsed, ParseError> {
    let fail = |message: String| ParseError::of(fetched, message);
    super::require_body(fetched)?;
    let body = &fetched.body[..];
    if let Ok(api) = serde_json::from_slice::<ApiError>(body) {
        let code = api.error.map(|c| format!(" {c}")).unwrap_or_default();
        return Err(fail(format!(
            "the Reddit API answered an error{code}: {}",
            crate::text::truncate_chars(&api.message, 200)
        )));
    }
    let listing: Listing = serde_json::from_slice(body).map_err(|e| {
        fail(format!(
            "unexpected JSON for a Reddit listing (has the API changed?): {e}"
        ))
    })?;
    let posts: Vec<&Post> = listing
        .data
        .children
        .iter()
        .filter(|t| t.kind == "t3")
        .map(|t| &t.data)
        .collect();
    let cursor = posts
        .iter()
        .max_by(|a, b| a.created_utc.total_cmp(&b.created_utc))
        .map(|p| p.name.clone())
        .filter(|name| is_fullname(name));
    Ok(Parsed {
        items: posts.into_iter().map(to_item).collect(),
        cursor,
        ..Parsed::default()
    })
}

fn to_item(post: &Post) -> RawItem {
    let permalink = format!("{SITE}{}", post.permalink);
    let shared_link = post
        .url
        .clone()
        .filter(|u| !post.is_self && !u.starts_with(SITE) && !u.starts_with('/'));
    RawItem {
        guid: Some(post.name.clone()),
        url: Some(permalink),
        title: Some(post.title.clone()),
        // Plain text (Markdown): escaped, so the HTML-to-text step keeps a literal `<`.
        summary: Some(crate::text::escape_html(&post.selftext)).filter(|t| !t.trim().is_empty()),
        content: None,
        author: Some(format!("u/{}", post.author)).filter(|a| a.len() > 2),
        published: chrono::DateTime::from_timestamp(post.created_utc as i64, 0),
        language: None,
        social: Social {
            hashtags: Vec::new(),
            mentions: user_mentions(&post.selftext),
            links: shared_link.into_iter().collect(),
            shared_of: post
                .crosspost_parent
                .as_deref()
                .and_then(|parent| parent.strip_prefix("t3_"))
                .map(|id| format!("{SITE}/comments/{id}")),
            engagement: Engagement {
                likes: post.score.map(|s| s.max(0) as u64),
                replies: post.num_comments,
                ..Engagement::default()
            },
        },
    }
}

/// `u/name` and `/u/name` in a post's text.
fn user_mentions(text: &str) -> Vec<String> {
    text.split(|c: char| {
        c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | ',' | '.' | ':' | ';' | '!' | '?')
    })
    .filter_map(|word| word.strip_prefix("/u/").or_else(|| word.strip_prefix("u/")))
    .filter(|name| {
        (3..=20).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    })
    .map(str::to_string)
    .collect()
}

fn is_fullname(name: &str) -> bool {
    name.starts_with("t3_")
        && name.len() <= 16
        && name[3..].chars().all(|c| c.is_ascii_alphanumeric())
}

/// The URL of the next poll: the configured listing with `limit` and `raw_json=1` and, once
/// something was seen, `before` set to the newest post seen.
pub fn page_url(base: &Url, cursor: Option<&str>) -> Url {
    let limit = PAGE_SIZE.to_string();
    let mut append = vec![("limit", limit.as_str()), ("raw_json", "1")];
    if let Some(cursor) = cursor.filter(|c| is_fullname(c)) {
        append.push(("before", cursor));
    }
    super::rebuild_query(
        base,
        |k| matches!(k, "limit" | "before" | "after" | "raw_json" | "count"),
        &append,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetched(body: &[u8]) -> Fetched {
        crate::parse::test_support::fetched(
            "https://www.reddit.com/r/worldnews/new.json",
            "application/json",
            body,
        )
    }

    #[test]
    fn reads_real_listings() -> Result<(), Box<dyn std::error::Error>> {
        let new = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/feeds/reddit/reddit_listing_subreddit_new.json"
        ))?;
        let parsed = parse_listing(&fetched(&new))?;
        assert_eq!(parsed.items.len(), 100);
        assert_eq!(parsed.cursor.as_deref(), Some("t3_48fbm9"));
        let first = &parsed.items[0];
        assert_eq!(
            first.url.as_deref(),
            Some(
                "https://www.reddit.com/r/AskReddit/comments/48fbm9/serious_parents_of_reddit_whats_the_biggest_lie/"
            )
        );
        assert_eq!(first.author.as_deref(), Some("u/RedHeadQc"));
        assert_eq!(first.social.engagement.replies, Some(1));
        let search = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/feeds/reddit/reddit_listing_subreddit_search.json"
        ))?;
        assert_eq!(parse_listing(&fetched(&search))?.items.len(), 6);
        Ok(())
    }

    #[test]
    fn link_posts_share_links_and_errors_are_named() -> Result<(), Box<dyn std::error::Error>> {
        let body = br#"{"kind":"Listing","data":{"children":[{"kind":"t3","data":{"name":"t3_abc","title":"ICC warrant","selftext":"","author":"someone","created_utc":1767600000.0,"permalink":"/r/worldnews/comments/abc/icc_warrant/","url":"https://news.example/icc?utm_source=reddit","is_self":false,"score":42,"num_comments":7,"crosspost_parent":"t3_xyz"}}]}}"#;
        let item = &parse_listing(&fetched(body))?.items[0];
        assert_eq!(
            item.social.links,
            vec!["https://news.example/icc?utm_source=reddit".to_string()]
        );
        assert_eq!(
            item.social.shared_of.as_deref(),
            Some("https://www.reddit.com/comments/xyz")
        );
        assert_eq!(item.social.engagement.likes, Some(42));
        let cases: &[(&[u8], &str)] = &[
            (b"", "empty response body"),
            (
                b"{\"message\": \"Forbidden\", \"error\": 403}",
                "answered an error 403: Forbidden",
            ),
            (b"{\"kind\": \"Listing\"}", "unexpected JSON"),
        ];
        for (body, expected) in cases {
            let error = parse_listing(&fetched(body))
                .err()
                .ok_or("expected an error")?
                .to_string();
            assert!(error.contains(expected), "{error}");
        }
        assert_eq!(
            user_mentions("thanks u/helper_1 and /u/other, not au/x"),
            vec!["helper_1", "other"]
        );
        let base = Url::parse(
            "https://www.reddit.com/r/worldnews/search.json?q=icc&sort=new&after=t3_old",
        )?;
        assert_eq!(
            page_url(&base, Some("t3_abc")).as_str(),
            "https://www.reddit.com/r/worldnews/search.json?q=icc&sort=new&limit=100&raw_json=1&before=t3_abc"
        );
        Ok(())
    }
}
