//! The GDELT DOC 2.0 API in `mode=ArtList&format=json`: news articles matching a query, from
//! sources worldwide (`{"articles": [{"url", "title", "seendate", "domain", "language",
//! "sourcecountry", …}]}`). Each article becomes an item whose page can be fetched for its full
//! text. Paging: each poll asks only for articles seen since the newest one seen
//! (`startdatetime`). The API's documented limit is one request per 5 seconds.

use super::{ParseError, Parsed};
use crate::model::{Fetched, RawItem};
use serde::Deserialize;
use url::Url;

/// Articles asked for per request (the API's maximum).
pub const PAGE_SIZE: u32 = 250;

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    articles: Vec<Article>,
}

#[derive(Deserialize)]
struct Article {
    url: String,
    #[serde(default)]
    title: String,
    seendate: Option<String>,
    language: Option<String>,
}

/// Parses an ArtList response. GDELT answers `{}` when nothing matched, and plain text when it
/// refuses a query.
pub fn parse_articles(fetched: &Fetched) -> Result<Parsed, ParseError> {
    let fail = |message: String| ParseError::of(fetched, message);
    let body = &fetched.body[..];
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => return Err(fail("empty response body".into())),
        Some(b'{') => {}
        Some(_) => {
            let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
            return Err(fail(format!(
                "the GDELT API answered: {}",
                crate::text::for_terminal(text.trim())
            )));
        }
    }
    let response: Response = serde_json::from_slice(body).map_err(|e| {
        fail(format!(
            "unexpected JSON for a GDELT article list (has the API changed?): {e}"
        ))
    })?;
    let cursor = response
        .articles
        .iter()
        .filter_map(|a| a.seendate.clone())
        .filter(|d| parse_seendate(d).is_some())
        .max();
    let items = response
        .articles
        .into_iter()
        .map(|article| RawItem {
            guid: None,
            published: article.seendate.as_deref().and_then(parse_seendate),
            language: article
                .language
                .as_deref()
                .and_then(language_code)
                .map(str::to_string),
            url: Some(article.url),
            title: Some(article.title),
            ..RawItem::default()
        })
        .collect();
    Ok(Parsed {
        items,
        cursor,
        ..Parsed::default()
    })
}

/// `20260105T101500Z` → a UTC time.
fn parse_seendate(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|n| n.and_utc())
}

/// GDELT names languages in English; the codes Vigil stores.
fn language_code(name: &str) -> Option<&'static str> {
    let code = match name.to_ascii_lowercase().as_str() {
        "english" => "en",
        "french" => "fr",
        "spanish" => "es",
        "german" => "de",
        "russian" => "ru",
        "arabic" => "ar",
        "portuguese" => "pt",
        "italian" => "it",
        "dutch" => "nl",
        "turkish" => "tr",
        "ukrainian" => "uk",
        "persian" => "fa",
        "chinese" => "zh",
        "japanese" => "ja",
        "hebrew" => "he",
        "polish" => "pl",
        _ => return None,
    };
    Some(code)
}

/// The URL of the next poll: the configured query as an article list, newest first, and once
/// something was seen, from the newest seen date on.
pub fn page_url(base: &Url, cursor: Option<&str>) -> Url {
    let records = PAGE_SIZE.to_string();
    let since = cursor
        .and_then(parse_seendate)
        .map(|d| d.format("%Y%m%d%H%M%S").to_string());
    let mut append = vec![
        ("mode", "ArtList"),
        ("format", "json"),
        ("maxrecords", records.as_str()),
        ("sort", "DateDesc"),
    ];
    if let Some(since) = since.as_deref() {
        append.push(("startdatetime", since));
    }
    let replaced = |k: &str| {
        matches!(
            k.to_ascii_lowercase().as_str(),
            "mode" | "format" | "maxrecords" | "sort" | "startdatetime" | "timespan"
        )
    };
    super::rebuild_query(base, replaced, &append)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetched(body: &[u8]) -> Fetched {
        crate::parse::test_support::fetched(
            "https://api.gdeltproject.org/api/v2/doc/doc?query=%22international%20criminal%20court%22",
            "application/json",
            body,
        )
    }

    #[test]
    fn reads_article_lists_and_pages() -> Result<(), Box<dyn std::error::Error>> {
        let body = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/gdelt_artlist.json"
        ))?;
        let parsed = parse_articles(&fetched(&body))?;
        assert_eq!(parsed.items.len(), 3);
        assert_eq!(parsed.cursor.as_deref(), Some("20260105T113000Z"));
        assert_eq!(parsed.items[1].language.as_deref(), Some("fr"));
        assert_eq!(
            parsed.items[0].published.map(|p| p.to_rfc3339()),
            Some("2026-01-05T11:30:00+00:00".to_string())
        );
        assert!(
            parse_articles(&fetched(b"{}"))?.items.is_empty(),
            "nothing matched is not an error"
        );
        let error = parse_articles(&fetched(
            b"Your search contained a keyword that was too short.",
        ))
        .err()
        .ok_or("missing value")?
        .to_string();
        assert!(
            error.contains("the GDELT API answered: Your search contained"),
            "{error}"
        );
        let base =
            Url::parse("https://api.gdeltproject.org/api/v2/doc/doc?query=icc&mode=TimelineVol")?;
        assert_eq!(
            page_url(&base, Some("20260105T113000Z")).as_str(),
            "https://api.gdeltproject.org/api/v2/doc/doc?query=icc&mode=ArtList&format=json&maxrecords=250&sort=DateDesc&startdatetime=20260105113000"
        );
        Ok(())
    }
}
