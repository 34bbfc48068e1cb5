//! Telegram public channels through their web preview (`https://t.me/s/<channel>`): the newest
//! messages of a channel as HTML, each with its text, date, view count, forwarded-from and
//! links. Each message becomes one item; a forwarded message points at its origin
//! (`shared_of`). Paging: the page links to older messages (`?before=<id>`); the pipeline
//! follows it while everything on a page is newer than the newest message already seen.

use super::{ParseError, Parsed};
use crate::model::{Engagement, Fetched, RawItem, Social};
use scraper::{ElementRef, Html, Selector};
use url::Url;

/// Older pages followed at most in one poll.
pub const MAX_PAGES: usize = 5;

fn selector(text: &str) -> Selector {
    // The selectors are constants written here; a typo would fail every test.
    Selector::parse(text).unwrap_or_else(|_| panic!("invalid built-in selector {text}"))
}

/// Parses a channel preview page.
pub fn parse_channel(fetched: &Fetched) -> Result<Parsed, ParseError> {
    let fail = |message: String| ParseError::of(fetched, message);
    let html = super::html_page(fetched)?;
    let document = Html::parse_document(&html);
    let messages: Vec<ElementRef> = document
        .select(&selector("div.tgme_widget_message[data-post]"))
        .collect();
    if messages.is_empty() {
        let is_channel = document
            .select(&selector(".tgme_channel_history"))
            .next()
            .is_some();
        return if is_channel {
            Ok(Parsed::default())
        } else {
            Err(fail("not a Telegram channel preview (no message list; is the channel public, and the URL t.me/s/<channel>?)".into()))
        };
    }
    let items: Vec<RawItem> = messages
        .iter()
        .filter_map(|m| to_item(m, &fetched.url))
        .collect();
    let cursor = items
        .iter()
        .filter_map(|i| message_id(i.guid.as_deref()?))
        .max()
        .map(|id| id.to_string());
    Ok(Parsed {
        items,
        cursor,
        ..Parsed::default()
    })
}

fn to_item(message: &ElementRef, base: &Url) -> Option<RawItem> {
    let post = message.value().attr("data-post")?.to_string();
    let first = |css: &str| message.select(&selector(css)).next();
    let text = first(".tgme_widget_message_text");
    let (mut hashtags, mut mentions, mut links) = (Vec::new(), Vec::new(), Vec::new());
    if let Some(text) = &text {
        for anchor in text.select(&selector("a[href]")) {
            let label = super::element_text(&anchor);
            let href = anchor.value().attr("href").unwrap_or_default();
            if let Some(tag) = label.strip_prefix('#') {
                hashtags.push(tag.to_string());
            } else if let Some(handle) = label.strip_prefix('@') {
                mentions.push(handle.to_string());
            } else if let Ok(url) = base.join(href) {
                if matches!(url.scheme(), "http" | "https") && url.host_str() != Some("t.me") {
                    links.push(url.to_string());
                }
            }
        }
    }
    let url = first("a.tgme_widget_message_date")
        .and_then(|a| a.value().attr("href"))
        .and_then(|h| base.join(h).ok())
        .map(|u| u.to_string());
    Some(RawItem {
        guid: Some(post),
        url,
        title: None,
        summary: text.map(|t| t.inner_html()),
        content: None,
        author: first(".tgme_widget_message_owner_name")
            .map(|a| super::element_text(&a))
            .filter(|a| !a.is_empty()),
        published: first("time[datetime]")
            .and_then(|t| t.value().attr("datetime"))
            .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
            .map(|d| d.with_timezone(&chrono::Utc)),
        language: None,
        social: Social {
            hashtags,
            mentions,
            links,
            shared_of: first("a.tgme_widget_message_forwarded_from_name")
                .and_then(|a| a.value().attr("href"))
                .map(str::to_string),
            engagement: Engagement {
                views: first(".tgme_widget_message_views")
                    .and_then(|v| parse_count(&super::element_text(&v))),
                ..Engagement::default()
            },
        },
    })
}

/// `980`, `12.3K`, `1.2M` → a number.
pub fn parse_count(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, factor) = match text.chars().last()? {
        'K' | 'k' => (&text[..text.len() - 1], 1_000.0),
        'M' | 'm' => (&text[..text.len() - 1], 1_000_000.0),
        _ => (text, 1.0),
    };
    number
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map(|n| (n * factor).round() as u64)
}

/// The message number of a `channel/123` post id.
pub fn message_id(post: &str) -> Option<u64> {
    post.rsplit('/').next()?.parse().ok()
}

/// The older page to read next, if every message on this page is newer than `cursor` (the
/// newest message seen before) and the page has older ones: `<channel page>?before=<oldest>`.
pub fn older_page(base: &Url, parsed: &Parsed, cursor: Option<&str>) -> Option<Url> {
    let seen = cursor?.parse::<u64>().ok()?;
    let oldest = parsed
        .items
        .iter()
        .filter_map(|i| message_id(i.guid.as_deref()?))
        .min()?;
    if oldest <= seen + 1 {
        return None;
    }
    Some(super::rebuild_query(
        base,
        |_| true,
        &[("before", &oldest.to_string())],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetched(body: &[u8]) -> Fetched {
        crate::parse::test_support::fetched(
            "https://t.me/s/haguewatch",
            "text/html; charset=utf-8",
            body,
        )
    }

    #[test]
    fn reads_a_channel_page() -> Result<(), Box<dyn std::error::Error>> {
        let body = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/telegram_channel_page.html"
        ))?;
        let parsed = parse_channel(&fetched(&body))?;
        assert_eq!(parsed.items.len(), 3);
        assert_eq!(parsed.cursor.as_deref(), Some("103"));
        let first = &parsed.items[0];
        assert_eq!(first.url.as_deref(), Some("https://t.me/haguewatch/101"));
        assert_eq!(first.social.hashtags, vec!["ICC", "PuppetCourt"]);
        assert_eq!(
            first.social.links,
            vec!["https://news.example.org/story?utm_source=tg"]
        );
        assert_eq!(first.social.engagement.views, Some(12_300));
        assert_eq!(first.author.as_deref(), Some("Hague Watch"));
        let forwarded = &parsed.items[1];
        assert_eq!(
            forwarded.social.shared_of.as_deref(),
            Some("https://t.me/sovereignvoice/777")
        );
        assert_eq!(forwarded.social.mentions, vec!["insider_source"]);
        assert_eq!(forwarded.social.engagement.views, Some(1_200_000));
        assert!(
            forwarded
                .summary
                .as_deref()
                .ok_or("missing value")?
                .contains("&lt;from abroad&gt;"),
            "text stays escaped HTML"
        );
        let base = Url::parse("https://t.me/s/haguewatch")?;
        assert_eq!(
            older_page(&base, &parsed, Some("90")).map(|u| u.to_string()),
            Some("https://t.me/s/haguewatch?before=101".into())
        );
        assert_eq!(
            older_page(&base, &parsed, Some("100")),
            None,
            "the page reaches what was seen"
        );
        assert_eq!(
            older_page(&base, &parsed, None),
            None,
            "the first poll reads one page"
        );
        Ok(())
    }

    #[test]
    fn counts_and_bad_pages() -> Result<(), Box<dyn std::error::Error>> {
        let cases = [
            ("980", Some(980)),
            ("12.3K", Some(12_300)),
            ("1.2M", Some(1_200_000)),
            ("", None),
            ("many", None),
            ("-3", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_count(text), expected, "{text}");
        }
        let error = parse_channel(&fetched(
            b"<html><body><p>Sorry, this channel is private.</p></body></html>",
        ))
        .err()
        .ok_or("missing value")?
        .to_string();
        assert!(error.contains("not a Telegram channel preview"), "{error}");
        let empty = b"<html><body><section class=\"tgme_channel_history\"></section></body></html>";
        assert!(
            parse_channel(&fetched(empty))?.items.is_empty(),
            "a channel with no messages is not an error"
        );
        Ok(())
    }
}
