//! HTML listing pages, for sites that publish no feed: CSS selectors from the configuration
//! pick each item on the page, and within it the title, the link, the date and the summary.
//! Links resolve against the page's URL; the article behind each link is fetched for its full
//! text like a feed item's (`full_text`). Out: one `RawItem` per matched item.

use super::{ParseError, Parsed};
use crate::config::ListingSelectors;
use crate::model::{Fetched, RawItem};
use scraper::{ElementRef, Html, Selector};

/// Items read from one listing page at most.
pub const MAX_ITEMS: usize = 500;

/// Parses a listing page with the source's selectors.
pub fn parse_listing_page(
    fetched: &Fetched,
    selectors: &ListingSelectors,
) -> Result<Parsed, ParseError> {
    let fail = |message: String| ParseError::of(fetched, message);
    let compile =
        |css: &str| Selector::parse(css).map_err(|e| fail(format!("selector {css:?}: {e}")));
    let item = compile(&selectors.item)?;
    let title = compile(&selectors.title)?;
    let link = selectors.link.as_deref().map(compile).transpose()?;
    let date = selectors.date.as_deref().map(compile).transpose()?;
    let summary = selectors.summary.as_deref().map(compile).transpose()?;
    let html = super::html_page(fetched)?;
    let document = Html::parse_document(&html);
    let text = |element: ElementRef| super::element_text(&element);
    let items: Vec<RawItem> = document
        .select(&item)
        .take(MAX_ITEMS)
        .filter_map(|element| {
            let title_element = element.select(&title).next()?;
            // The link: the link selector's href, else the title's own (or its first anchor's).
            let href = link
                .as_ref()
                .and_then(|l| element.select(l).next())
                .or(Some(title_element))
                .and_then(|e| {
                    e.value().attr("href").map(str::to_string).or_else(|| {
                        e.select(&Selector::parse("a[href]").ok()?)
                            .next()?
                            .value()
                            .attr("href")
                            .map(str::to_string)
                    })
                })?;
            let url = fetched.url.join(href.trim()).ok()?;
            let published = date
                .as_ref()
                .and_then(|d| element.select(d).next())
                .and_then(|d| {
                    let raw = d
                        .value()
                        .attr("datetime")
                        .map(str::to_string)
                        .unwrap_or_else(|| text(d));
                    parse_date(&raw)
                });
            Some(RawItem {
                guid: None,
                url: Some(url.to_string()),
                title: Some(text(title_element)),
                summary: summary
                    .as_ref()
                    .and_then(|s| element.select(s).next())
                    .map(text),
                published,
                ..RawItem::default()
            })
        })
        .collect();
    if items.is_empty() {
        return Err(fail(format!(
            "no item matched the selectors (item {:?}, title {:?}): has the page changed?",
            selectors.item, selectors.title
        )));
    }
    Ok(Parsed {
        items,
        ..Parsed::default()
    })
}

/// Dates as listing pages print them: RFC 3339, RFC 2822, ISO dates, or "5 January 2026".
fn parse_date(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = text.trim();
    if let Ok(date) = chrono::DateTime::parse_from_rfc3339(text)
        .or_else(|_| chrono::DateTime::parse_from_rfc2822(text))
    {
        return Some(date.with_timezone(&chrono::Utc));
    }
    ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| {
            ["%Y-%m-%d", "%d %B %Y", "%B %d, %Y", "%d/%m/%Y", "%d.%m.%Y"]
                .iter()
                .find_map(|f| chrono::NaiveDate::parse_from_str(text, f).ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .map(|n| n.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><body><nav><a href="/">Home</a></nav><main>
<article class="release"><h2><a href="/press/2026/01/field-office">Registrar opens field office</a></h2><time datetime="2026-01-05T10:00:00Z">5 January 2026</time><p class="lead">The Registrar opened a field office.</p></article>
<article class="release"><h2><a href="press/2026/01/hearing?utm_source=site">Hearing scheduled</a></h2><span class="date">4 January 2026</span><p class="lead">A hearing is scheduled.</p></article>
<article class="release"><h2>No link here</h2></article>
</main><script>var x = "<article class='release'><h2><a href='/fake'>x</a></h2></article>";</script></body></html>"#;

    fn fetched(body: &str) -> Fetched {
        crate::parse::test_support::fetched(
            "https://court.example.org/press/",
            "text/html; charset=utf-8",
            body.as_bytes(),
        )
    }

    fn selectors(date: &str) -> ListingSelectors {
        ListingSelectors {
            item: "article.release".into(),
            title: "h2".into(),
            link: Some("h2 a".into()),
            date: Some(date.into()),
            summary: Some("p.lead".into()),
        }
    }

    #[test]
    fn reads_items_with_selectors() {
        let parsed = parse_listing_page(&fetched(PAGE), &selectors("time, .date")).unwrap();
        assert_eq!(
            parsed.items.len(),
            2,
            "the item without a link is skipped, the one inside a script is not an item"
        );
        assert_eq!(
            parsed.items[0].url.as_deref(),
            Some("https://court.example.org/press/2026/01/field-office")
        );
        assert_eq!(
            parsed.items[1].url.as_deref(),
            Some("https://court.example.org/press/press/2026/01/hearing?utm_source=site")
        );
        assert_eq!(
            parsed.items[0].published.map(|d| d.to_rfc3339()),
            Some("2026-01-05T10:00:00+00:00".into())
        );
        assert_eq!(
            parsed.items[1].published.map(|d| d.to_rfc3339()),
            Some("2026-01-04T00:00:00+00:00".into())
        );
        assert_eq!(
            parsed.items[0].summary.as_deref(),
            Some("The Registrar opened a field office.")
        );
    }

    #[test]
    fn a_changed_page_is_named() {
        let mut wrong = selectors("time");
        wrong.item = "div.news-item".into();
        let error = parse_listing_page(&fetched(PAGE), &wrong)
            .err()
            .unwrap()
            .to_string();
        assert!(
            error.contains("no item matched the selectors") && error.contains("\"test\""),
            "{error}"
        );
    }
}
