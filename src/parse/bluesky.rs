//! Bluesky through the public AppView's XRPC endpoints: `app.bsky.feed.searchPosts` (a query;
//! `{"posts": [postView], "cursor"}`) and `app.bsky.feed.getAuthorFeed` (a handle;
//! `{"feed": [{"post": postView, "reason"}], "cursor"}`). Each post becomes one item; a repost
//! in an author feed becomes an item of the reposter's that points at the original
//! (`shared_of`), and a quote post points at what it quotes. Paging: a search asks only for
//! posts since the newest seen (`since`); an author feed's newest page is read each poll.

use super::{ParseError, Parsed};
use crate::model::{Engagement, Fetched, RawItem, Social};
use serde::Deserialize;
use url::Url;

/// Posts asked for per request (the API's maximum).
pub const PAGE_SIZE: u32 = 100;

#[derive(Deserialize)]
struct Response {
    posts: Option<Vec<PostView>>,
    feed: Option<Vec<FeedItem>>,
    cursor: Option<String>,
}

#[derive(Deserialize)]
struct FeedItem {
    post: PostView,
    reason: Option<Reason>,
}

#[derive(Deserialize)]
struct Reason {
    #[serde(rename = "$type")]
    kind: String,
    by: Option<Profile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostView {
    uri: String,
    author: Profile,
    record: Record,
    reply_count: Option<u64>,
    repost_count: Option<u64>,
    like_count: Option<u64>,
    quote_count: Option<u64>,
    indexed_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    handle: String,
    display_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    #[serde(default)]
    text: String,
    created_at: Option<String>,
    #[serde(default)]
    langs: Vec<String>,
    #[serde(default)]
    facets: Vec<Facet>,
    embed: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Facet {
    #[serde(default)]
    features: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct ApiError {
    error: String,
    message: Option<String>,
}

/// Parses a searchPosts or getAuthorFeed response.
pub fn parse_posts(fetched: &Fetched) -> Result<Parsed, ParseError> {
    let fail = |message: String| ParseError::of(fetched, message);
    super::require_body(fetched)?;
    let body = &fetched.body[..];
    if let Ok(api) = serde_json::from_slice::<ApiError>(body) {
        let detail = api
            .message
            .map(|m| format!(": {}", crate::text::truncate_chars(&m, 200)))
            .unwrap_or_default();
        let hint = if matches!(
            api.error.as_str(),
            "AuthMissing" | "AuthenticationRequired" | "ExpiredToken" | "InvalidToken"
        ) {
            " (authentication failed: check the app password)"
        } else {
            ""
        };
        return Err(fail(format!(
            "the Bluesky API answered {}{detail}{hint}",
            crate::text::truncate_chars(&api.error, 80)
        )));
    }
    let response: Response = serde_json::from_slice(body).map_err(|e| {
        fail(format!(
            "unexpected JSON for Bluesky posts (has the API changed?): {e}"
        ))
    })?;
    let (items, newest): (Vec<RawItem>, Option<String>) = match (response.posts, response.feed) {
        (Some(posts), _) => {
            let newest = posts.iter().filter_map(|p| p.indexed_at.clone()).max();
            (posts.iter().map(|p| post_item(p, None)).collect(), newest)
        }
        (None, Some(feed)) => {
            let items = feed
                .iter()
                .map(|entry| {
                    let reposter = entry
                        .reason
                        .as_ref()
                        .filter(|r| r.kind.ends_with("#reasonRepost"))
                        .and_then(|r| r.by.as_ref());
                    post_item(&entry.post, reposter)
                })
                .collect();
            (items, None)
        }
        (None, None) => {
            return Err(fail(
                "unexpected JSON for Bluesky posts: neither \"posts\" nor \"feed\"".into(),
            ));
        }
    };
    let page_cursor = response.cursor.filter(|c| !c.is_empty() && c.len() <= 200);
    Ok(Parsed {
        items,
        cursor: newest,
        page_cursor,
        ..Parsed::default()
    })
}

/// The web address of a post: `at://<did>/app.bsky.feed.post/<rkey>` → bsky.app.
fn web_url(at_uri: &str, handle_or_did: &str) -> Option<String> {
    let rkey = at_uri.strip_prefix("at://")?.rsplit('/').next()?;
    Some(format!(
        "https://bsky.app/profile/{handle_or_did}/post/{rkey}"
    ))
}

fn post_item(post: &PostView, reposter: Option<&Profile>) -> RawItem {
    let original_url = web_url(&post.uri, &post.author.handle);
    let mut links = Vec::new();
    let mut hashtags = Vec::new();
    for feature in post.record.facets.iter().flat_map(|f| f.features.iter()) {
        match feature.get("$type").and_then(|t| t.as_str()) {
            Some(t) if t.ends_with("#link") => links.extend(
                feature
                    .get("uri")
                    .and_then(|u| u.as_str())
                    .map(str::to_string),
            ),
            Some(t) if t.ends_with("#tag") => hashtags.extend(
                feature
                    .get("tag")
                    .and_then(|u| u.as_str())
                    .map(str::to_string),
            ),
            _ => {}
        }
    }
    let embed = post.record.embed.as_ref();
    if let Some(external) = embed
        .and_then(|e| e.pointer("/external/uri"))
        .and_then(|u| u.as_str())
    {
        links.push(external.to_string());
    }
    // A quote: `embed.record.uri`, or `embed.record.record.uri` for a quote with media.
    let quoted = embed
        .and_then(|e| {
            e.pointer("/record/uri")
                .or_else(|| e.pointer("/record/record/uri"))
        })
        .and_then(|u| u.as_str())
        .and_then(|uri| {
            let did = uri.strip_prefix("at://")?.split('/').next()?;
            web_url(uri, did)
        });
    let mentions = post
        .record
        .text
        .split_whitespace()
        .filter_map(|w| w.strip_prefix('@'))
        .map(|h| {
            h.trim_end_matches(|c: char| !c.is_alphanumeric())
                .to_string()
        })
        .filter(|h| h.contains('.'))
        .collect();
    let shared_of = match reposter {
        Some(_) => original_url.clone(),
        None => quoted.clone(),
    };
    let text = if post.record.text.trim().is_empty() {
        shared_of
            .as_ref()
            .map(|url| format!("Shares {url}"))
            .unwrap_or_default()
    } else {
        post.record.text.clone()
    };
    let profile = reposter.unwrap_or(&post.author);
    let author = match profile
        .display_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    {
        Some(name) => format!("{} @{}", name.trim(), profile.handle),
        None => format!("@{}", profile.handle),
    };
    let (guid, url) = match reposter {
        Some(by) => (Some(format!("repost:{}:{}", by.handle, post.uri)), None),
        None => (Some(post.uri.clone()), original_url),
    };
    RawItem {
        guid,
        url,
        title: None,
        summary: Some(crate::text::escape_html(&text)),
        content: None,
        author: Some(author),
        published: post
            .record
            .created_at
            .as_deref()
            .or(post.indexed_at.as_deref())
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc)),
        language: post.record.langs.first().cloned(),
        social: Social {
            hashtags,
            mentions,
            links,
            shared_of,
            engagement: Engagement {
                reposts: post.repost_count.map(|r| r + post.quote_count.unwrap_or(0)),
                likes: post.like_count,
                replies: post.reply_count,
                views: None,
            },
        },
    }
}

/// The next page of a search within one poll: when a page came back full (more posts arrived
/// since the last poll than one page holds), the same request with the response's cursor. The
/// `since` bound keeps the walk to what is new.
pub fn older_page(page_url: &Url, parsed: &Parsed) -> Option<Url> {
    let full = parsed.items.len() >= PAGE_SIZE as usize;
    let searching = page_url.query_pairs().any(|(k, _)| k == "since");
    let cursor = parsed
        .page_cursor
        .as_deref()
        .filter(|_| full && searching)?;
    Some(super::rebuild_query(
        page_url,
        |k| k == "cursor",
        &[("cursor", cursor)],
    ))
}

/// The URL of the next poll: `limit` set, and for a search `sort=latest` and, once something
/// was seen, `since` the newest post's time.
pub fn page_url(base: &Url, cursor: Option<&str>) -> Url {
    let limit = PAGE_SIZE.to_string();
    let mut append = vec![("limit", limit.as_str())];
    if base.path().ends_with("searchPosts") {
        append.push(("sort", "latest"));
        if let Some(since) = cursor.filter(|c| chrono::DateTime::parse_from_rfc3339(c).is_ok()) {
            append.push(("since", since));
        }
    }
    super::rebuild_query(
        base,
        |k| matches!(k, "limit" | "cursor" | "since" | "sort"),
        &append,
    )
}

/// The `com.atproto.server.createSession` call that opens a session with an app password.
pub fn session_request(
    service: &Url,
    identifier: &str,
    password: &crate::types::Secret,
) -> Result<(Url, Vec<u8>), String> {
    let url = service
        .join("/xrpc/com.atproto.server.createSession")
        .map_err(|e| e.to_string())?;
    let body = serde_json::json!({ "identifier": identifier, "password": password.expose() })
        .to_string()
        .into_bytes();
    Ok((url, body))
}

/// The access token of a createSession answer.
pub fn session_token(body: &[u8]) -> Result<crate::types::Secret, String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Session {
        access_jwt: String,
    }
    if let Ok(api) = serde_json::from_slice::<ApiError>(body) {
        return Err(format!(
            "Bluesky refused the session ({}): check the identifier and app password",
            crate::text::truncate_chars(&api.error, 80)
        ));
    }
    let session: Session = serde_json::from_slice(body)
        .map_err(|e| format!("unexpected JSON for a Bluesky session: {e}"))?;
    Ok(crate::types::Secret::new(session.access_jwt))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetched(body: &[u8]) -> Fetched {
        crate::parse::test_support::fetched(
            "https://public.api.bsky.app/xrpc/app.bsky.feed.searchPosts?q=icc",
            "application/json",
            body,
        )
    }

    fn real_post() -> Result<serde_json::Value, Box<dyn std::error::Error>> {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/feeds/bluesky/bsky_thread_view_post_with_embed_media.json"
        ))?;
        Ok(serde_json::from_str::<serde_json::Value>(&text)?["thread"]["post"].clone())
    }

    #[test]
    fn reads_a_real_post_view_in_a_search_response() -> Result<(), Box<dyn std::error::Error>> {
        let body = serde_json::json!({ "posts": [real_post()?], "cursor": "1" }).to_string();
        let parsed = parse_posts(&fetched(body.as_bytes()))?;
        let item = &parsed.items[0];
        assert_eq!(
            item.url.as_deref(),
            Some("https://bsky.app/profile/test.marshal.dev/post/3kaheyt6vpc22")
        );
        assert_eq!(
            item.social.shared_of.as_deref(),
            Some("https://bsky.app/profile/did:plc:kvwvcn5iqfooopmyzvb4qzba/post/3kahesw26il2z"),
            "a quote with media points at what it quotes"
        );
        assert!(
            item.summary
                .as_deref()
                .ok_or("missing value")?
                .starts_with("Shares https://bsky.app/")
        );
        assert_eq!(item.language.as_deref(), Some("en"));
        assert_eq!(parsed.cursor.as_deref(), Some("2023-09-28T12:49:36.735Z"));
        Ok(())
    }

    #[test]
    fn author_feeds_record_reposts_and_errors_are_named() -> Result<(), Box<dyn std::error::Error>>
    {
        let mut post = real_post()?;
        post["record"]["text"] = serde_json::json!(
            "The court is a #puppet says @someone.bsky.social https://news.example/x"
        );
        post["record"]["facets"] = serde_json::json!([{"features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "puppet"}, {"$type": "app.bsky.richtext.facet#link", "uri": "https://news.example/x"}]}]);
        let body = serde_json::json!({ "feed": [
            { "post": post.clone() },
            { "post": post, "reason": { "$type": "app.bsky.feed.defs#reasonRepost", "by": { "did": "did:plc:amp", "handle": "amp.bsky.social" }, "indexedAt": "2023-09-29T00:00:00Z" } }
        ]}).to_string();
        let items = parse_posts(&fetched(body.as_bytes()))?.items;
        assert_eq!(items[0].social.hashtags, vec!["puppet"]);
        assert_eq!(items[0].social.links, vec!["https://news.example/x"]);
        assert_eq!(items[0].social.mentions, vec!["someone.bsky.social"]);
        assert!(
            items[1]
                .author
                .as_deref()
                .ok_or("missing value")?
                .contains("@amp.bsky.social")
        );
        assert_eq!(
            items[1].social.shared_of.as_deref(),
            Some("https://bsky.app/profile/test.marshal.dev/post/3kaheyt6vpc22")
        );
        let cases: &[(&[u8], &str)] = &[
            (b"{\"error\":\"AuthMissing\",\"message\":\"Authentication Required\"}", "authentication failed"),
            (b"{\"error\":\"InvalidRequest\",\"message\":\"Error: Params must have the property q\"}", "answered InvalidRequest: Error: Params"),
            (b"{\"items\":[]}", "neither"),
            (b"[]", "unexpected JSON"),
        ];
        for (body, expected) in cases {
            let error = parse_posts(&fetched(body))
                .err()
                .ok_or("expected an error")?
                .to_string();
            assert!(error.contains(expected), "{error}");
        }
        let base = Url::parse(
            "https://public.api.bsky.app/xrpc/app.bsky.feed.searchPosts?q=icc&cursor=5",
        )?;
        assert_eq!(
            page_url(&base, Some("2026-01-05T10:00:00Z")).as_str(),
            "https://public.api.bsky.app/xrpc/app.bsky.feed.searchPosts?q=icc&limit=100&sort=latest&since=2026-01-05T10%3A00%3A00Z"
        );
        Ok(())
    }
}
