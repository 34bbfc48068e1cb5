//! Turns a parser's `RawItem` into an indexable `Document`: HTML to plain text, bounded lengths,
//! a canonical URL (tracking parameters and fragments stripped), a language code, a UTC
//! publication time that is never in the future, and a stable id. Pure functions: no I/O.

use crate::model::{Document, RawItem};
use chrono::{DateTime, Utc};
use ego_tree::iter::Edge;
use scraper::{Html, Node};
use url::Url;

/// Longest title kept, in characters.
pub const MAX_TITLE_CHARS: usize = 1_000;
/// Longest body kept, in characters.
pub const MAX_BODY_CHARS: usize = 100_000;
/// Longest author field kept, in characters.
pub const MAX_AUTHOR_CHARS: usize = 300;
/// Longest HTML accepted for conversion to text, in bytes (larger input is cut first).
const MAX_HTML_BYTES: usize = 2 * 1024 * 1024;

/// Query parameters that only track readers and never change what a URL points to.
const TRACKING_PARAMETERS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "yclid",
    "_ga",
    "_gl",
    "ocid",
    "cmpid",
    "ref_src",
    "ref_url",
    "smid",
    "soc_src",
    "soc_trk",
    "wt_mc",
    "at_medium",
    "at_campaign",
    "spm",
    "share",
    "s_cid",
];

/// Builds a document from a raw item. Returns `None` for items with neither a title nor a body.
pub fn normalise(
    item: RawItem,
    source: &str,
    kind: &str,
    fetched: DateTime<Utc>,
) -> Option<Document> {
    let title = clean_line(
        &html_to_text(item.title.as_deref().unwrap_or_default()),
        MAX_TITLE_CHARS,
    );
    let content = item.content.as_deref().filter(|c| !c.trim().is_empty());
    let body_html = content.or(item.summary.as_deref()).unwrap_or_default();
    let body = truncate_text(&html_to_text(body_html), MAX_BODY_CHARS);
    if title.is_empty() && body.is_empty() {
        return None;
    }
    // Posts have no title: their opening words stand in for one in lists and digests.
    let title = if title.is_empty() {
        clean_line(&crate::text::truncate_chars(&body, 120), MAX_TITLE_CHARS)
    } else {
        title
    };
    let url = item
        .url
        .as_deref()
        .and_then(canonical_url)
        .unwrap_or_default();
    let published = item
        .published
        .map(|p| {
            if p > fetched + chrono::Duration::hours(1) {
                fetched
            } else {
                p
            }
        })
        .unwrap_or(fetched);
    let lang = item
        .language
        .as_deref()
        .and_then(language_from_tag)
        .unwrap_or_else(|| detect_language(&title, &body));
    let id = document_id(&url, item.guid.as_deref(), source, &title, published);
    let content_hash = content_hash(&title, &body, &url);
    let simhash = crate::text::simhash(&format!("{title} {body}"));
    Some(Document {
        dup_group: id.clone(),
        social: clean_social(item.social),
        id,
        url,
        source: source.to_string(),
        kind: kind.to_string(),
        title,
        body,
        author: clean_line(item.author.as_deref().unwrap_or_default(), MAX_AUTHOR_CHARS),
        lang,
        published,
        fetched,
        content_hash,
        simhash,
    })
}

/// Most hashtags, mentions or links kept per document.
const MAX_SOCIAL_VALUES: usize = 50;

/// Bounds and normalises a post's social fields: lowercase tags and handles without their sigil,
/// canonical http(s) links, no repeats, at most `MAX_SOCIAL_VALUES` of each.
pub fn clean_social(social: crate::model::Social) -> crate::model::Social {
    let tidy = |values: Vec<String>, sigil: char| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for value in values {
            let value = value.trim().trim_start_matches(sigil).to_lowercase();
            let valid = !value.is_empty()
                && value.len() <= 200
                && !value.chars().any(|c| c.is_whitespace() || c.is_control());
            if valid && !out.contains(&value) && out.len() < MAX_SOCIAL_VALUES {
                out.push(value);
            }
        }
        out
    };
    let mut links: Vec<String> = Vec::new();
    for link in social.links.iter().filter_map(|l| canonical_url(l)) {
        if !links.contains(&link) && links.len() < MAX_SOCIAL_VALUES {
            links.push(link);
        }
    }
    crate::model::Social {
        hashtags: tidy(social.hashtags, '#'),
        mentions: tidy(social.mentions, '@'),
        links,
        shared_of: social.shared_of.as_deref().and_then(canonical_url),
        engagement: social.engagement,
    }
}

/// Longest feed summary that still counts as "only a summary" for full-text fetching.
pub const SHORT_SUMMARY_CHARS: usize = 600;

/// Whether a raw item carries only a short summary, so its article page is worth fetching.
pub fn wants_full_text(item: &RawItem) -> bool {
    let has_content = item
        .content
        .as_deref()
        .is_some_and(|c| !c.trim().is_empty());
    let summary_chars = item
        .summary
        .as_deref()
        .map_or(0, |s| html_to_text(s).chars().count());
    !has_content && summary_chars < SHORT_SUMMARY_CHARS
}

/// Completes a document with its article page: the page's text replaces a shorter body, its
/// title, author and date fill what the feed left empty, and its (same-site) canonical URL
/// becomes the document's URL. The id stays the one the feed's link gave, so the next poll
/// recognises the item without fetching the page again.
pub fn apply_article(
    document: &mut Document,
    article: crate::parse::article::Article,
    declared_language: bool,
) {
    let text = truncate_text(&fold_whitespace(&article.text), MAX_BODY_CHARS);
    if text.chars().count() > document.body.chars().count() {
        document.body = text;
    }
    if document.title.is_empty() {
        if let Some(title) = article.title {
            document.title = clean_line(&title, MAX_TITLE_CHARS);
        }
    }
    if document.author.is_empty() {
        if let Some(author) = article.author {
            document.author = clean_line(&author, MAX_AUTHOR_CHARS);
        }
    }
    if let Some(published) = article.published.filter(|p| *p <= document.fetched) {
        if document.published == document.fetched {
            document.published = published;
        }
    }
    if let Some(canonical) = article.canonical_url.as_deref().and_then(canonical_url) {
        document.url = canonical;
    }
    if !declared_language {
        document.lang = article
            .lang
            .as_deref()
            .and_then(language_from_tag)
            .unwrap_or_else(|| detect_language(&document.title, &document.body));
    }
    document.content_hash = content_hash(&document.title, &document.body, &document.url);
    document.simhash = crate::text::simhash(&format!("{} {}", document.title, document.body));
}

/// The fingerprint of what a document says: its title and text. A title alone says too little
/// to call two items the same (a daily briefing keeps its title and changes its link), so an
/// item without text is told apart by its address too.
pub fn content_hash(title: &str, body: &str, url: &str) -> u64 {
    if body.is_empty() {
        xxhash_rust::xxh3::xxh3_64(format!("{title}\u{0}\u{0}{url}").as_bytes())
    } else {
        xxhash_rust::xxh3::xxh3_64(format!("{title}\u{0}{body}").as_bytes())
    }
}

/// The stable id of a document: from its canonical URL when it has one (so the same article
/// reached through two feeds is one document), else from the source and the item's guid, else
/// from the source, title and time.
pub fn document_id(
    canonical_url: &str,
    guid: Option<&str>,
    source: &str,
    title: &str,
    published: DateTime<Utc>,
) -> String {
    let key = if !canonical_url.is_empty() {
        format!("url\u{0}{canonical_url}")
    } else if let Some(guid) = guid.map(str::trim).filter(|g| !g.is_empty()) {
        format!("guid\u{0}{source}\u{0}{guid}")
    } else {
        format!(
            "item\u{0}{source}\u{0}{title}\u{0}{}",
            published.timestamp()
        )
    };
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(key.as_bytes()))
}

/// The canonical form of an http(s) URL: lowercase host, no fragment, no tracking parameters,
/// no empty query. Returns `None` for anything that is not an absolute http(s) URL.
pub fn canonical_url(raw: &str) -> Option<String> {
    let mut url = Url::parse(raw.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| {
            let key = key.to_ascii_lowercase();
            !key.starts_with("utm_") && !TRACKING_PARAMETERS.contains(&key.as_str())
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    Some(url.to_string())
}

/// Plain text from an HTML fragment: block elements become line breaks, scripts and styles are
/// dropped, entities decoded, runs of spaces folded. Text without markup passes through.
pub fn html_to_text(html: &str) -> String {
    if !html.contains(['<', '&']) {
        return fold_whitespace(html);
    }
    let html = &html[..floor_char_boundary(html, MAX_HTML_BYTES)];
    if crate::text::html_nesting_estimate(html) > crate::parse::article::MAX_DEPTH {
        // Too deep for an HTML parser to finish in reasonable time: strip tags linearly.
        return fold_whitespace(&crate::text::strip_tags(html));
    }
    let fragment = Html::parse_fragment(html);
    let mut out = String::with_capacity(html.len() / 2);
    let mut skip_depth = 0usize;
    for edge in fragment.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Text(text) if skip_depth == 0 => out.push_str(text),
                Node::Element(element) => {
                    let name = element.name();
                    if matches!(
                        name,
                        "script" | "style" | "noscript" | "template" | "iframe"
                    ) {
                        skip_depth += 1;
                    } else if is_block(name) {
                        out.push('\n');
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(element) = node.value() {
                    let name = element.name();
                    if matches!(
                        name,
                        "script" | "style" | "noscript" | "template" | "iframe"
                    ) {
                        skip_depth = skip_depth.saturating_sub(1);
                    } else if is_block(name) {
                        out.push('\n');
                    }
                }
            }
        }
    }
    fold_whitespace(&out)
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "li"
            | "ul"
            | "ol"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "tr"
            | "table"
            | "blockquote"
            | "pre"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "hr"
            | "figure"
            | "figcaption"
            | "dd"
            | "dt"
    )
}

/// Folds spaces within lines and keeps at most one blank line between paragraphs.
fn fold_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let folded = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if folded.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&folded);
    }
    out.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect()
}

fn clean_line(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let line: String = line.chars().filter(|c| !c.is_control()).collect();
    truncate_text(&line, max)
}

fn truncate_text(text: &str, max_chars: usize) -> String {
    crate::text::truncate_chars(text, max_chars)
}

fn floor_char_boundary(text: &str, index: usize) -> usize {
    if index >= text.len() {
        return text.len();
    }
    (0..=index)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

/// `en-GB` → `en`; `fr` → `fr`; anything unusable → `None`.
pub fn language_from_tag(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    let valid = (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_lowercase());
    valid.then_some(primary)
}

/// Detects the language of a text; `und` when unsure.
pub fn detect_language(title: &str, body: &str) -> String {
    let sample: String = format!("{title}. {body}").chars().take(2_000).collect();
    match whatlang::detect(&sample) {
        Some(info) if info.is_reliable() || info.confidence() > 0.5 => iso639_1(info.lang()),
        _ => "und".to_string(),
    }
}

/// Two-letter codes for the languages a court's press office meets most; three letters otherwise.
fn iso639_1(lang: whatlang::Lang) -> String {
    use whatlang::Lang::*;
    let code = match lang {
        Eng => "en",
        Fra => "fr",
        Spa => "es",
        Deu => "de",
        Ita => "it",
        Por => "pt",
        Nld => "nl",
        Rus => "ru",
        Ukr => "uk",
        Ara => "ar",
        Heb => "he",
        Tur => "tr",
        Pes => "fa",
        Urd => "ur",
        Hin => "hi",
        Cmn => "zh",
        Jpn => "ja",
        Kor => "ko",
        Pol => "pl",
        Ces => "cs",
        Slk => "sk",
        Srp => "sr",
        Hrv => "hr",
        Bul => "bg",
        Ron => "ro",
        Hun => "hu",
        Ell => "el",
        Swe => "sv",
        Dan => "da",
        Nob => "nb",
        Fin => "fi",
        Ind => "id",
        Vie => "vi",
        Tha => "th",
        Bel => "be",
        Kat => "ka",
        Aze => "az",
        Uzb => "uz",
        Amh => "am",
        Cat => "ca",
        Lit => "lt",
        Lav => "lv",
        Est => "et",
        Slv => "sl",
        Mkd => "mk",
        Ben => "bn",
        Afr => "af",
        other => return other.code().to_string(),
    };
    code.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_urls() {
        let cases = [
            (
                "https://News.Example.org/a?utm_source=x&id=3#top",
                Some("https://news.example.org/a?id=3"),
            ),
            (
                "https://news.example.org/a?utm_medium=rss&fbclid=abc",
                Some("https://news.example.org/a"),
            ),
            (
                "http://news.example.org:80/a",
                Some("http://news.example.org/a"),
            ),
            ("javascript:alert(1)", None),
            ("/relative/path", None),
            ("mailto:press@example.org", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(canonical_url(raw).as_deref(), expected, "{raw}");
        }
    }

    #[test]
    fn html_becomes_text() {
        let cases = [
            ("plain   text", "plain text"),
            ("<p>One</p><p>Two &amp; three</p>", "One\nTwo & three"),
            ("<b>Ha</b>gue court", "Hague court"),
            ("before<script>alert(1)</script>after", "beforeafter"),
            ("a<br>b", "a\nb"),
            ("&lt;not a tag&gt;", "<not a tag>"),
            ("<style>p{}</style><div>x</div>", "x"),
        ];
        let deep = format!(
            "{}deep text{}",
            "<div>".repeat(50_000),
            "</div>".repeat(50_000)
        );
        let started = std::time::Instant::now();
        assert_eq!(html_to_text(&deep), "deep text");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "hostile nesting is not parsed"
        );
        for (html, expected) in cases {
            assert_eq!(html_to_text(html), expected, "{html}");
        }
    }

    #[test]
    fn ids_prefer_canonical_urls() {
        let t = Utc::now();
        let a = document_id("https://n.example/a", Some("g1"), "s1", "T", t);
        let b = document_id("https://n.example/a", Some("g2"), "s2", "Other", t);
        assert_eq!(a, b, "same url, same document");
        let c = document_id("", Some("g1"), "s1", "T", t);
        let d = document_id("", Some("g1"), "s2", "T", t);
        assert_ne!(c, d, "guids are only unique within a source");
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn future_dates_are_clamped_and_languages_read() {
        let fetched = Utc::now();
        let item = RawItem {
            title: Some("La Cour pénale annonce une audience".into()),
            summary: Some("<p>La chambre préliminaire tiendra une audience publique la semaine prochaine à La Haye.</p>".into()),
            url: Some("https://n.example/a?utm_source=rss".into()),
            published: Some(fetched + chrono::Duration::days(400)),
            ..RawItem::default()
        };
        let doc = normalise(item, "src", "news", fetched).unwrap();
        assert_eq!(doc.published, fetched);
        assert_eq!(doc.lang, "fr");
        assert_eq!(doc.url, "https://n.example/a");
        assert!(normalise(RawItem::default(), "src", "news", fetched).is_none());
        assert_eq!(language_from_tag("en-GB").as_deref(), Some("en"));
        assert_eq!(language_from_tag("x").as_deref(), None);
    }
}
