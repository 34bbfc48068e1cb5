//! Mastodon timelines through the public REST API: a hashtag's (`/api/v1/timelines/tag/:tag`)
//! or an account's statuses (`/api/v1/accounts/:id/statuses`), both arrays of Status entities.
//! Each status becomes one item; a boost becomes an item of its own, authored by the booster,
//! carrying the original's text and pointing at it (`shared_of`), so shares can be counted and
//! joined on. Paging: each poll asks only for statuses newer than the newest seen (`min_id`).

use super::{ParseError, Parsed};
use crate::model::{Engagement, Fetched, RawItem, Social};
use serde::Deserialize;
use url::Url;

/// Statuses asked for per request (the API's maximum).
pub const PAGE_SIZE: u32 = 40;

#[derive(Deserialize)]
struct Status {
    id: String,
    created_at: Option<String>,
    uri: Option<String>,
    url: Option<String>,
    #[serde(default)]
    content: String,
    #[serde(default)]
    spoiler_text: String,
    language: Option<String>,
    replies_count: Option<u64>,
    reblogs_count: Option<u64>,
    favourites_count: Option<u64>,
    account: Account,
    reblog: Option<Box<Status>>,
    #[serde(default)]
    mentions: Vec<Mention>,
    #[serde(default)]
    tags: Vec<Tag>,
    card: Option<Card>,
}

#[derive(Deserialize)]
struct Account {
    acct: String,
    #[serde(default)]
    display_name: String,
}

#[derive(Deserialize)]
struct Mention {
    acct: String,
}

#[derive(Deserialize)]
struct Tag {
    name: String,
}

#[derive(Deserialize)]
struct Card {
    url: Option<String>,
}

#[derive(Deserialize)]
struct ApiError {
    error: String,
}

/// Parses an array of Status entities.
pub fn parse_statuses(fetched: &Fetched) -> Result<Parsed, ParseError> {
    let fail = |message: String| ParseError::of(fetched, message);
    super::require_body(fetched)?;
    let body = &fetched.body[..];
    if let Ok(api) = serde_json::from_slice::<ApiError>(body) {
        return Err(fail(format!(
            "the Mastodon API answered an error: {}",
            crate::text::truncate_chars(&api.error, 200)
        )));
    }
    let statuses: Vec<Status> = serde_json::from_slice(body).map_err(|e| {
        fail(format!(
            "unexpected JSON for a Mastodon timeline (has the API changed?): {e}"
        ))
    })?;
    let cursor = statuses
        .iter()
        .map(|s| s.id.as_str())
        .max_by(|a, b| compare_ids(a, b))
        .map(str::to_string);
    let items = statuses.iter().map(to_item).collect();
    Ok(Parsed {
        items,
        cursor,
        ..Parsed::default()
    })
}

fn to_item(status: &Status) -> RawItem {
    let original = status.reblog.as_deref().unwrap_or(status);
    let is_boost = status.reblog.is_some();
    let text = if original.spoiler_text.trim().is_empty() {
        original.content.clone()
    } else {
        format!(
            "<p>{}</p>{}",
            crate::text::escape_html(&original.spoiler_text),
            original.content
        )
    };
    let mut links = content_links(&original.content);
    if let Some(card) = original.card.as_ref().and_then(|c| c.url.clone()) {
        links.push(card);
    }
    let author = if status.account.display_name.trim().is_empty() {
        format!("@{}", status.account.acct)
    } else {
        format!(
            "{} @{}",
            status.account.display_name.trim(),
            status.account.acct
        )
    };
    RawItem {
        guid: status.uri.clone().or_else(|| Some(status.id.clone())),
        url: if is_boost {
            status.uri.clone()
        } else {
            status.url.clone().or_else(|| status.uri.clone())
        },
        title: None,
        summary: Some(text),
        content: None,
        author: Some(author),
        published: status
            .created_at
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc)),
        language: original.language.clone(),
        social: Social {
            hashtags: original.tags.iter().map(|t| t.name.clone()).collect(),
            mentions: original.mentions.iter().map(|m| m.acct.clone()).collect(),
            links,
            shared_of: is_boost
                .then(|| original.url.clone().or_else(|| original.uri.clone()))
                .flatten(),
            engagement: Engagement {
                reposts: original.reblogs_count,
                likes: original.favourites_count,
                replies: original.replies_count,
                views: None,
            },
        },
    }
}

/// Links in a status's HTML, except the ones Mastodon adds for mentions and hashtags.
fn content_links(html: &str) -> Vec<String> {
    if !html.contains("<a")
        || crate::text::html_nesting_estimate(html) > crate::parse::article::MAX_DEPTH
    {
        return Vec::new();
    }
    let fragment = scraper::Html::parse_fragment(html);
    let Ok(anchors) = scraper::Selector::parse("a[href]") else {
        return Vec::new();
    };
    fragment
        .select(&anchors)
        .filter(|a| {
            let class = a.value().attr("class").unwrap_or_default();
            !class.contains("mention") && !class.contains("hashtag")
        })
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect()
}

/// Status ids are decimal snowflakes: compare by length, then lexically.
fn compare_ids(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The URL of the next poll: the configured timeline with `limit` and, once something was seen,
/// `min_id` set to the newest status seen (the API then returns only newer ones).
pub fn page_url(base: &Url, cursor: Option<&str>) -> Url {
    let limit = PAGE_SIZE.to_string();
    let mut append = vec![("limit", limit.as_str())];
    if let Some(cursor) =
        cursor.filter(|c| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_digit()))
    {
        append.push(("min_id", cursor));
    }
    super::rebuild_query(
        base,
        |k| matches!(k, "limit" | "min_id" | "since_id" | "max_id"),
        &append,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetched(body: &[u8]) -> Fetched {
        crate::parse::test_support::fetched(
            "https://social.example/api/v1/timelines/tag/hoot",
            "application/json",
            body,
        )
    }

    #[test]
    fn reads_the_real_public_timeline() -> Result<(), Box<dyn std::error::Error>> {
        let body = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/feeds/mastodon/mastodon_timeline_public.json"
        ))?;
        let parsed = parse_statuses(&fetched(&body))?;
        assert_eq!(parsed.items.len(), 8);
        assert_eq!(parsed.cursor.as_deref(), Some("117020593378945190"));
        assert!(
            parsed
                .items
                .iter()
                .all(|i| i.published.is_some()
                    && i.author.as_deref().is_some_and(|a| a.contains('@')))
        );
        assert!(
            parsed.items.iter().any(|i| !i.social.mentions.is_empty()),
            "mentions are read"
        );
        assert!(
            parsed
                .items
                .iter()
                .any(|i| i.language.as_deref() == Some("ja"))
        );
        Ok(())
    }

    #[test]
    fn reads_tags_boosts_and_links() -> Result<(), Box<dyn std::error::Error>> {
        let body = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/feeds/mastodon/mastodon_timeline_tag_hoot.json"
        ))?;
        let parsed = parse_statuses(&fetched(&body))?;
        assert_eq!(parsed.items[0].social.hashtags, vec!["hoot".to_string()]);
        let boost = br#"[{"id":"20","created_at":"2026-01-05T10:00:00.000Z","uri":"https://b.example/users/amp/statuses/20/activity","url":null,"content":"","account":{"acct":"amp@b.example","display_name":"Amplifier"},
            "reblog":{"id":"10","created_at":"2026-01-05T09:00:00.000Z","uri":"https://a.example/users/orig/statuses/10","url":"https://a.example/@orig/10","content":"<p>Read <a href=\"https://news.example/story?utm_source=x\">this</a> <a href=\"https://a.example/tags/icc\" class=\"mention hashtag\">#<span>icc</span></a></p>","account":{"acct":"orig","display_name":""},"reblog":null,"tags":[{"name":"ICC"}],"mentions":[],"reblogs_count":7,"favourites_count":3,"replies_count":1}}]"#;
        let item = &parse_statuses(&fetched(boost))?.items[0];
        assert_eq!(
            item.url.as_deref(),
            Some("https://b.example/users/amp/statuses/20/activity")
        );
        assert_eq!(
            item.social.shared_of.as_deref(),
            Some("https://a.example/@orig/10")
        );
        assert_eq!(
            item.social.links,
            vec!["https://news.example/story?utm_source=x".to_string()]
        );
        assert_eq!(item.social.engagement.reposts, Some(7));
        assert!(
            item.author
                .as_deref()
                .ok_or("missing value")?
                .contains("@amp@b.example")
        );
        Ok(())
    }

    #[test]
    fn explains_errors_and_pages() -> Result<(), Box<dyn std::error::Error>> {
        let cases: &[(&[u8], &str)] = &[
            (b"", "empty response body"),
            (
                b"{\"error\":\"The access token is invalid\"}",
                "answered an error: The access token is invalid",
            ),
            (b"{\"statuses\":[]}", "unexpected JSON"),
            (b"[{\"id\":1}]", "unexpected JSON"),
        ];
        for (body, expected) in cases {
            let error = parse_statuses(&fetched(body))
                .err()
                .ok_or("expected an error")?
                .to_string();
            assert!(
                error.contains(expected) && error.contains("\"test\""),
                "{error}"
            );
        }
        assert!(
            parse_statuses(&fetched(b"[]"))?.items.is_empty(),
            "an empty timeline is not an error"
        );
        let base = Url::parse("https://social.example/api/v1/timelines/tag/icc?limit=5&min_id=1")?;
        assert_eq!(
            page_url(&base, None).as_str(),
            "https://social.example/api/v1/timelines/tag/icc?limit=40"
        );
        assert_eq!(
            page_url(&base, Some("123")).as_str(),
            "https://social.example/api/v1/timelines/tag/icc?limit=40&min_id=123"
        );
        assert_eq!(
            page_url(&base, Some("1;drop")).as_str(),
            "https://social.example/api/v1/timelines/tag/icc?limit=40"
        );
        Ok(())
    }
}

/// For an account source given as a profile URL (`https://<instance>/@name`): the lookup
/// endpoint that turns the handle into an account id.
pub fn lookup_url(profile: &Url) -> Option<Url> {
    let handle = profile.path().strip_prefix("/@")?.trim_end_matches('/');
    let valid = !handle.is_empty()
        && handle.len() <= 100
        && handle
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '-'));
    if !valid {
        return None;
    }
    let mut url = profile.join("/api/v1/accounts/lookup").ok()?;
    url.query_pairs_mut().append_pair("acct", handle);
    Some(url)
}

/// The statuses endpoint of the account a lookup answered with (`{"id": "…", …}`).
pub fn statuses_url(profile: &Url, lookup_body: &[u8]) -> Result<Url, String> {
    #[derive(Deserialize)]
    struct Account {
        id: String,
    }
    if let Ok(api) = serde_json::from_slice::<ApiError>(lookup_body) {
        return Err(format!(
            "the Mastodon API answered an error: {}",
            crate::text::truncate_chars(&api.error, 200)
        ));
    }
    let account: Account = serde_json::from_slice(lookup_body)
        .map_err(|e| format!("unexpected JSON for a Mastodon account lookup: {e}"))?;
    if account.id.is_empty() || !account.id.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "unexpected Mastodon account id {:?}",
            crate::text::truncate_chars(&account.id, 40)
        ));
    }
    profile
        .join(&format!("/api/v1/accounts/{}/statuses", account.id))
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod lookup_tests {
    use super::*;

    #[test]
    fn profile_urls_become_statuses_endpoints() -> Result<(), Box<dyn std::error::Error>> {
        let profile = Url::parse("https://social.example.org/@IntlCrimCourt")?;
        assert_eq!(
            lookup_url(&profile).ok_or("missing value")?.as_str(),
            "https://social.example.org/api/v1/accounts/lookup?acct=IntlCrimCourt"
        );
        assert_eq!(
            lookup_url(&Url::parse(
                "https://social.example.org/api/v1/timelines/tag/icc"
            )?),
            None,
            "not a profile"
        );
        assert_eq!(
            statuses_url(&profile, br#"{"id":"109876","username":"IntlCrimCourt"}"#)?.as_str(),
            "https://social.example.org/api/v1/accounts/109876/statuses"
        );
        assert!(
            statuses_url(&profile, br#"{"error":"Record not found"}"#)
                .err()
                .ok_or("expected an error")?
                .contains("Record not found")
        );
        assert!(
            statuses_url(&profile, br#"{"id":"../../admin"}"#)
                .err()
                .ok_or("expected an error")?
                .contains("unexpected Mastodon account id")
        );
        Ok(())
    }
}
