//! XML feeds as the web writes them, read leniently: RSS 0.90–2.0 (with or without a version,
//! a namespace prefix on the root), RSS 1.0/RDF, Atom 0.3 and 1.0, and CDF, with the common
//! extensions (Dublin Core, `content:encoded`, XHTML bodies, Media RSS, iTunes).
//!
//! The reader streams events (quick-xml) and never gives up on the whole feed for one item:
//! bare ampersands pass as text, unknown entities stay as written, upper-case hex references
//! are read, end tags that close nothing are ignored and an element left open is closed by its
//! parent's end. A feed cut short keeps the items before the cut; each item that could not be
//! read is reported with its position. A repair pre-pass closes a CDATA section left open.
//!
//! Elements are matched by local name (and, for extensions, their usual prefix), so a feed is
//! read whatever namespace URI it declares. Text fields keep their meaning: a title typed as
//! text is escaped before it reaches the HTML-to-text step, so "Probe the &lt;blink&gt; tag"
//! stays that sentence; markup written unescaped inside an element is kept as markup.
//!
//! In: decoded text and the feed's URL; out: items (`RawItem`), channel hints and losses.

use crate::model::RawItem;
use chrono::{DateTime, Utc};
use quick_xml::events::{BytesStart, Event};
use url::Url;

/// What was read from an XML feed.
#[derive(Debug, Default)]
pub struct XmlFeed {
    pub items: Vec<RawItem>,
    /// Items past the limit, not read.
    pub dropped: usize,
    /// Items that could not be read, each with why and where.
    pub losses: Vec<String>,
    pub language: Option<String>,
    pub ttl_minutes: Option<u32>,
    /// The root element's local name (`rss`, `RDF`, `feed`, `CHANNEL`…), lower-cased.
    pub root: String,
}

/// How a field's text is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Plain text, unless it plainly holds HTML (a known tag).
    Text,
    /// HTML source.
    Html,
}

/// Where captured text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    AltTitle,
    Link,
    Guid,
    Id,
    Summary,
    AltSummary,
    Content,
    Author,
    AuthorName,
    Published,
    Updated,
    Language,
    Ttl,
}

#[derive(Debug, Default)]
struct Draft {
    title: Option<(String, Kind)>,
    alt_title: Option<(String, Kind)>,
    link: Option<String>,
    atom_links: Vec<(Option<String>, String)>,
    guid: Option<(String, bool)>,
    id: Option<String>,
    about: Option<String>,
    summary: Option<(String, Kind)>,
    alt_summary: Option<(String, Kind)>,
    content: Option<(String, Kind)>,
    authors: Vec<String>,
    published: Option<String>,
    updated: Option<String>,
    language: Option<String>,
    views: Option<u64>,
    likes: Option<u64>,
}

/// A field being captured: which, how to read it, the element depth it started at, its text so
/// far and whether markup was nested inside.
struct Capture {
    field: Field,
    kind: Kind,
    depth: usize,
    /// The text alone, references resolved.
    plain: String,
    /// The text escaped as HTML, with nested markup kept: what the field reads as when it
    /// holds elements (an XHTML body, markup left unescaped in a description).
    html: String,
    nested: bool,
    /// For a link: the base it resolves against.
    base: Option<Url>,
}

/// Local name of a qualified name, and its prefix, lower-cased.
fn split_name(qualified: &str) -> (String, String) {
    let name = qualified.to_ascii_lowercase();
    match name.split_once(':') {
        Some((prefix, local)) => (prefix.to_string(), local.to_string()),
        None => (String::new(), name),
    }
}

fn attribute(element: &BytesStart<'_>, wanted: &str) -> Option<String> {
    element
        .attributes()
        .with_checks(false)
        .flatten()
        .find_map(|a| {
            let key = a.key.as_ref().to_ascii_lowercase();
            let local = key.rsplit(':').next().unwrap_or(&key).to_string();
            (key == wanted || local == wanted).then(|| unescape_lenient(&a.value))
        })
}

/// Resolves `&…;` references leniently: XML's five, numeric ones (decimal, `x` or `X` hex) and
/// the common HTML names; anything else is left as written.
pub fn unescape_lenient(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[1..]
            .find(|c: char| c == ';' || c == '&' || c.is_whitespace() || c == '<')
            .map(|i| i + 1);
        match end.filter(|e| rest.as_bytes().get(*e) == Some(&b';')) {
            Some(end) => match resolve_reference(&rest[1..end]) {
                Some(resolved) => {
                    out.push_str(&resolved);
                    rest = &rest[end + 1..];
                }
                None => {
                    out.push('&');
                    rest = &rest[1..];
                }
            },
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text of a reference's name (`amp`, `#65`, `#x41`), if known.
fn resolve_reference(name: &str) -> Option<String> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse::<u32>().ok()?,
        };
        return char::from_u32(code)
            .filter(|c| *c != '\0')
            .map(|c| c.to_string());
    }
    let text = match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        "nbsp" => "\u{a0}",
        "ndash" => "–",
        "mdash" => "—",
        "lsquo" => "‘",
        "rsquo" => "’",
        "ldquo" => "“",
        "rdquo" => "”",
        "hellip" => "…",
        "laquo" => "«",
        "raquo" => "»",
        "copy" => "©",
        "reg" => "®",
        "eacute" => "é",
        "egrave" => "è",
        "agrave" => "à",
        "ccedil" => "ç",
        "ouml" => "ö",
        "uuml" => "ü",
        "auml" => "ä",
        "szlig" => "ß",
        _ => return None,
    };
    Some(text.to_string())
}

/// Closes a CDATA section left open: one that reaches the end tag of the element it started
/// in (or the end of the text) without `]]>` gets `]]>` just before that end tag. One pass,
/// never looking back, so hostile text costs time in proportion to its length.
pub fn close_open_cdata(text: &str) -> std::borrow::Cow<'_, str> {
    const OPEN: &[u8] = b"<![CDATA[";
    if !text.contains("<![CDATA[") {
        return std::borrow::Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    let (mut i, mut copied) = (0, 0);
    // The name of the last start tag seen: the element a CDATA section opens in.
    let mut element = (0, 0);
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        if bytes[i..].starts_with(OPEN) {
            let name = &bytes[element.0..element.1];
            let mut j = i + OPEN.len();
            loop {
                if j >= bytes.len() {
                    out.push_str(&text[copied..]);
                    out.push_str("]]>");
                    return std::borrow::Cow::Owned(out);
                }
                if bytes[j..].starts_with(b"]]>") {
                    i = j + 3;
                    break;
                }
                if !name.is_empty()
                    && bytes[j..].starts_with(b"</")
                    && bytes[j + 2..].starts_with(name)
                {
                    out.push_str(&text[copied..j]);
                    out.push_str("]]>");
                    copied = j;
                    i = j;
                    break;
                }
                j += 1;
            }
            continue;
        }
        let name_start = i + 1;
        let name_end = name_start
            + bytes[name_start..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-' | b'.'))
                .count();
        if name_end > name_start && bytes[name_start].is_ascii_alphabetic() {
            element = (name_start, name_end);
        }
        i = name_end.max(i + 1);
    }
    out.push_str(&text[copied..]);
    std::borrow::Cow::Owned(out)
}

/// HTML elements whose presence makes a text-typed field HTML (as feed readers decide).
const HTML_TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "big",
    "blockquote",
    "br",
    "cite",
    "code",
    "div",
    "em",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "table",
    "td",
    "th",
    "tr",
    "u",
    "ul",
];

/// Whether text typed as plain holds HTML anyway: a known tag, opened or closed.
fn looks_like_html(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(at) = text[from..].find('<') {
        let start = from + at + 1;
        let name_start = if bytes.get(start) == Some(&b'/') {
            start + 1
        } else {
            start
        };
        let name: String = text[name_start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let next = text[name_start + name.len()..].chars().next();
        if HTML_TAGS.contains(&name.as_str()) && matches!(next, Some('>' | ' ' | '/' | '\t' | '\n'))
        {
            return true;
        }
        from = start;
    }
    false
}

/// A captured field as HTML source for the normaliser. Text that holds a known HTML tag is
/// HTML; text with other angle brackets is escaped, so "Probe the <blink> tag" stays that
/// sentence; text without them passes as it is, so entities a publisher escaped twice
/// (`Don&#8217;t`, `&lt;script&gt;`) are read once more, as feed readers read them.
fn as_html(text: String, kind: Kind, nested: bool) -> String {
    if kind == Kind::Html || nested || looks_like_html(&text) || !text.contains(['<', '>']) {
        text
    } else {
        crate::text::escape_html(&text)
    }
}

/// The kind an Atom `type` attribute (or an RSS element) says.
fn kind_of(type_attribute: Option<&str>, default: Kind) -> Kind {
    match type_attribute.map(str::to_ascii_lowercase).as_deref() {
        Some("html" | "xhtml" | "text/html" | "application/xhtml+xml") => Kind::Html,
        Some(t) if t.contains("html") => Kind::Html,
        Some("text" | "text/plain") => Kind::Text,
        _ => default,
    }
}

/// Month abbreviations of other languages feeds write RFC 822 dates in (Italian, German,
/// French, Spanish, Dutch), as English.
const MONTHS: &[(&str, &str)] = &[
    ("gen", "Jan"),
    ("ene", "Jan"),
    ("janv", "Jan"),
    ("jän", "Jan"),
    ("fév", "Feb"),
    ("févr", "Feb"),
    ("mär", "Mar"),
    ("mrz", "Mar"),
    ("mars", "Mar"),
    ("avr", "Apr"),
    ("abr", "Apr"),
    ("mag", "May"),
    ("mai", "May"),
    ("mei", "May"),
    ("giu", "Jun"),
    ("juin", "Jun"),
    ("lug", "Jul"),
    ("juil", "Jul"),
    ("ago", "Aug"),
    ("août", "Aug"),
    ("set", "Sep"),
    ("sept", "Sep"),
    ("ott", "Oct"),
    ("okt", "Oct"),
    ("dic", "Dec"),
    ("dez", "Dec"),
    ("déc", "Dec"),
];

/// An RFC 822 date written with another language's names: the weekday dropped, the month
/// put in English.
fn anglicised(text: &str) -> Option<String> {
    let rest = text.split_once(',').map_or(text, |(_, r)| r).trim();
    let mut parts: Vec<String> = rest.split_whitespace().map(str::to_string).collect();
    let month = parts.get_mut(1)?;
    let lower = month.trim_end_matches('.').to_lowercase();
    if let Some((_, english)) = MONTHS.iter().find(|(name, _)| *name == lower) {
        *month = (*english).to_string();
    } else {
        let mut chars = lower.chars();
        *month = chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
    }
    Some(parts.join(" "))
}

fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Some(english) = anglicised(text)
        && let Ok(t) = DateTime::parse_from_rfc2822(&english)
    {
        return Some(t.with_timezone(&Utc));
    }
    // "Mon, 28 Nov 2026 10:00:00 UTC" and friends: a zone name chrono does not know.
    for zone in [" UTC", " Z", " GMT"] {
        if let Some(stripped) = text.strip_suffix(zone)
            && let Ok(t) = DateTime::parse_from_rfc2822(&format!("{stripped} +0000"))
        {
            return Some(t.with_timezone(&Utc));
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S %z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    chrono::NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// Resolves a link against a base; `None` for an empty one.
fn resolve(base: &Url, href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    Some(
        base.join(href)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| href.to_string()),
    )
}

fn is_item(local: &str) -> bool {
    matches!(local, "item" | "entry")
}

/// The reader's state between events.
struct State<'b> {
    base: &'b Url,
    max_items: usize,
    feed: XmlFeed,
    /// Open elements: local name, in order.
    stack: Vec<String>,
    /// `xml:base` in force from a depth on.
    bases: Vec<(usize, Url)>,
    /// The item being read: its draft, its element depth and its number in the feed.
    draft: Option<(Draft, usize, usize)>,
    capture: Option<Capture>,
    /// A channel field being read (language, ttl): which, at what depth, the text.
    channel: Option<(Field, usize, String)>,
    items_seen: usize,
    /// Elements nested deeper than `MAX_DEPTH`: the reading stops there.
    too_deep: bool,
    /// The depth of an element whose inside is not the item's (an Atom entry's `<source>`,
    /// which holds the title of the feed it came from).
    skip: Option<usize>,
}

impl State<'_> {
    fn base_here(&self) -> Url {
        self.bases
            .last()
            .map_or_else(|| self.base.clone(), |(_, u)| u.clone())
    }

    fn open(&mut self, element: &BytesStart<'_>, empty: bool) {
        let (prefix, local) = split_name(element.name().as_ref());
        // A plain field left open (`<title>First<link>…`) ends where the item's next field
        // starts: its author forgot the end tag.
        if let Some(c) = self.capture.as_ref()
            && c.kind == Kind::Text
            && matches!(
                c.field,
                Field::Title
                    | Field::Link
                    | Field::Guid
                    | Field::Id
                    | Field::Published
                    | Field::Updated
            )
            && ITEM_FIELDS.contains(&local.as_str())
            && let Some(open) = self.stack.get(c.depth - 1).cloned()
        {
            self.close(&open);
        }
        let depth = self.stack.len() + 1;
        if depth > MAX_DEPTH {
            self.too_deep = true;
            return;
        }
        if self.feed.root.is_empty() {
            self.feed.root = local.clone();
        }
        if !empty
            && let Some(xml_base) = attribute(element, "xml:base")
            && let Ok(resolved) = self.base_here().join(xml_base.trim())
        {
            self.bases.push((depth, resolved));
        }
        let here = self.base_here();
        if self.skip.is_some() {
            if !empty {
                self.stack.push(local);
            }
            return;
        }
        if self.capture.is_none() && self.draft.is_some() && local == "source" && !empty {
            self.skip = Some(depth);
            self.stack.push(local);
            return;
        }
        if let Some(capture) = self.capture.as_mut() {
            // Markup nested inside a captured field is kept as markup.
            capture.nested = true;
            capture.html.push('<');
            capture.html.push_str(&local);
            for a in element.attributes().with_checks(false).flatten() {
                let key = a.key.as_ref().to_ascii_lowercase();
                if key.starts_with("xmlns") {
                    continue;
                }
                capture.html.push(' ');
                capture.html.push_str(&key);
                capture.html.push_str("=\"");
                capture
                    .html
                    .push_str(&crate::text::escape_html(&unescape_lenient(&a.value)));
                capture.html.push('"');
            }
            capture.html.push_str(if empty { "/>" } else { ">" });
        } else if is_item(&local) && self.draft.is_none() {
            self.items_seen += 1;
            let mut item = Draft {
                // RDF items name themselves; CDF items carry their link as HREF.
                about: attribute(element, "about").and_then(|a| resolve(&here, &a)),
                language: attribute(element, "lang"),
                ..Draft::default()
            };
            if let Some(href) = attribute(element, "href") {
                item.link = resolve(&here, &href);
            }
            if empty {
                self.finish(item, self.items_seen);
            } else {
                self.draft = Some((item, depth, self.items_seen));
            }
        } else if let Some((item, _, _)) = self.draft.as_mut() {
            let atom = self.feed.root == "feed";
            if let Some((field, kind)) = item_field(&prefix, &local, item, element, &here, atom)
                && !empty
            {
                self.capture = Some(Capture {
                    field,
                    kind,
                    depth,
                    plain: String::new(),
                    html: String::new(),
                    nested: false,
                    base: (field == Field::Link).then_some(here),
                });
            }
        } else if !empty {
            let field = match (prefix.as_str(), local.as_str()) {
                ("" | "dc", "language") => Some(Field::Language),
                ("", "ttl") => Some(Field::Ttl),
                _ => None,
            };
            if let Some(field) = field {
                self.channel = Some((field, depth, String::new()));
            }
            if self.feed.language.is_none() {
                self.feed.language = attribute(element, "lang");
            }
        }
        if !empty {
            self.stack.push(local);
        }
    }

    fn close(&mut self, name: &str) {
        let (_, local) = split_name(name);
        // Close up to the matching open element; an end tag that closes nothing is ignored
        // (an element left open is closed by its parent's end).
        let Some(at) = self.stack.iter().rposition(|open| *open == local) else {
            return;
        };
        while self.stack.len() > at {
            let depth = self.stack.len();
            let closed = self.stack.pop().unwrap_or_default();
            self.bases.retain(|(d, _)| *d < depth);
            if self.skip.is_some_and(|d| d >= depth) {
                if self.skip == Some(depth) {
                    self.skip = None;
                }
                continue;
            }
            match self.capture.as_mut() {
                Some(c) if c.depth == depth => {
                    let c = self.capture.take().expect("matched above");
                    if let Some((item, _, _)) = self.draft.as_mut() {
                        store_field(item, c);
                    }
                }
                Some(c) if depth > c.depth => {
                    c.html.push_str("</");
                    c.html.push_str(&closed);
                    c.html.push('>');
                }
                _ => {}
            }
            if self.channel.as_ref().is_some_and(|(_, d, _)| *d == depth) {
                let (field, _, text) = self.channel.take().expect("matched above");
                let text = text.trim().to_string();
                match field {
                    Field::Language if !text.is_empty() => self.feed.language = Some(text),
                    Field::Ttl => self.feed.ttl_minutes = text.parse().ok(),
                    _ => {}
                }
            }
            if self.draft.as_ref().is_some_and(|(_, d, _)| *d == depth) {
                let (item, _, number) = self.draft.take().expect("matched above");
                self.finish(item, number);
            }
        }
    }

    fn text(&mut self, text: &str, cdata: bool) {
        if let Some(c) = self.capture.as_mut() {
            c.plain.push_str(text);
            if cdata && c.kind == Kind::Html {
                c.html.push_str(text);
            } else {
                c.html.push_str(&crate::text::escape_html(text));
            }
        } else if let Some((_, _, t)) = self.channel.as_mut() {
            t.push_str(text);
        }
    }

    fn finish(&mut self, item: Draft, number: usize) {
        match into_raw(item) {
            Some(raw) if self.feed.items.len() < self.max_items => self.feed.items.push(raw),
            Some(_) => self.feed.dropped += 1,
            None => self
                .feed
                .losses
                .push(format!("item {number}: no title, text or link")),
        }
    }
}

/// Reads an XML feed. Never fails: what could not be read is in `losses`, and a text that is
/// not a feed at all comes back with no items and `root` naming what it was.
pub fn read(text: &str, base: &Url, max_items: usize) -> XmlFeed {
    let repaired = close_open_cdata(text);
    let mut reader = quick_xml::Reader::from_str(&repaired);
    {
        let config = reader.config_mut();
        config.allow_dangling_amp = true;
        config.allow_unmatched_ends = true;
        config.check_end_names = false;
        config.check_comments = false;
        config.expand_empty_elements = false;
    }
    let mut state = State {
        base,
        max_items,
        feed: XmlFeed::default(),
        stack: Vec::new(),
        bases: Vec::new(),
        draft: None,
        capture: None,
        channel: None,
        items_seen: 0,
        too_deep: false,
        skip: None,
    };
    loop {
        if state.too_deep {
            let at = reader.buffer_position();
            let lost = state.draft.take().map(|(_, _, n)| format!("item {n}: "));
            state.feed.losses.push(format!(
                "{}elements nested deeper than {MAX_DEPTH} at byte {at}; the rest of the feed is not read",
                lost.unwrap_or_default()
            ));
            break;
        }
        match reader.read_event() {
            Ok(Event::Start(element)) => state.open(&element, false),
            Ok(Event::Empty(element)) => state.open(&element, true),
            Ok(Event::End(element)) => state.close(element.name().as_ref()),
            Ok(Event::Text(text)) => state.text(&text.xml10_content(), false),
            Ok(Event::GeneralRef(reference)) => {
                let name: &str = &reference;
                let resolved = resolve_reference(name).unwrap_or_else(|| format!("&{name};"));
                state.text(&resolved, false);
            }
            Ok(Event::CData(data)) => state.text(&data, true),
            Ok(Event::Eof) => {
                // An item the feed ends inside keeps the fields it completed (a title, a
                // text); the field cut in two is dropped. With none complete, it is lost.
                state.capture = None;
                if let Some((item, _, number)) = state.draft.take() {
                    let complete = item.title.is_some()
                        || item.summary.is_some()
                        || item.content.is_some()
                        || item.alt_title.is_some();
                    match into_raw(item).filter(|_| complete) {
                        Some(raw) if state.feed.items.len() < state.max_items => {
                            state.feed.items.push(raw)
                        }
                        Some(_) => state.feed.dropped += 1,
                        None => state.feed.losses.push(format!(
                            "item {number}: the feed ends inside it (cut short at byte {})",
                            reader.buffer_position()
                        )),
                    }
                } else if let Some(root) = state.stack.first() {
                    state.feed.losses.push(format!(
                        "the feed is cut short at byte {}: <{root}> is never closed",
                        reader.buffer_position()
                    ));
                }
                break;
            }
            Ok(_) => {}
            Err(error) => {
                let position = reader.error_position();
                match state.draft.take() {
                    Some((_, _, number)) => state.feed.losses.push(format!(
                        "item {number}: unreadable at byte {position}: {error}"
                    )),
                    None => state
                        .feed
                        .losses
                        .push(format!("unreadable at byte {position}: {error}")),
                }
                break;
            }
        }
    }
    state.feed
}

/// Deepest element nesting read: feeds nest a few levels; a hostile one could nest millions
/// (and make every end tag search the whole stack).
const MAX_DEPTH: usize = 256;

/// Elements that are an item's own fields: one starting inside a plain field closes it.
const ITEM_FIELDS: &[&str] = &[
    "title",
    "link",
    "description",
    "guid",
    "pubdate",
    "author",
    "category",
    "comments",
    "enclosure",
    "source",
    "summary",
    "content",
    "id",
    "updated",
    "published",
    "encoded",
    "creator",
    "date",
];

/// Prefixes of the extension vocabularies read (or deliberately not read) inside items.
const EXTENSIONS: &[&str] = &[
    "dc",
    "dcterms",
    "content",
    "xhtml",
    "media",
    "itunes",
    "feedburner",
    "slash",
    "wfw",
    "sy",
    "georss",
    "yt",
    "rdf",
    "googleplay",
    "podcast",
];

/// The field an element inside an item fills, and how its text reads; `None` for elements
/// that fill nothing. Link elements with an `href` (Atom) are read here, from the attribute.
fn item_field(
    prefix: &str,
    local: &str,
    item: &mut Draft,
    element: &BytesStart<'_>,
    base: &Url,
    atom: bool,
) -> Option<(Field, Kind)> {
    let typed = |default| kind_of(attribute(element, "type").as_deref(), default);
    // Atom's text constructs are plain text unless typed; RSS descriptions are HTML.
    let prose = if atom { Kind::Text } else { Kind::Html };
    // A prefix that is not a known extension's is the feed's own vocabulary (`<r:title>` under
    // `<r:rss>`, `<atom:link>`).
    let prefix = if EXTENSIONS.contains(&prefix) {
        prefix
    } else {
        ""
    };
    Some(match (prefix, local) {
        ("dc", "title") | ("media", "title") => (Field::AltTitle, Kind::Text),
        (_, "title") => (Field::Title, typed(Kind::Text)),
        ("", "link") | ("atom", "link") | ("atom10", "link") => {
            if let Some(href) = attribute(element, "href") {
                let rel = attribute(element, "rel");
                if let Some(resolved) = resolve(base, &href) {
                    item.atom_links.push((rel, resolved));
                }
                return None;
            }
            (Field::Link, Kind::Text)
        }
        (_, "guid") => {
            let permalink = attribute(element, "ispermalink")
                .is_none_or(|v| !v.trim().eq_ignore_ascii_case("false"));
            item.guid = Some((String::new(), permalink));
            (Field::Guid, Kind::Text)
        }
        ("", "id") => (Field::Id, Kind::Text),
        ("content", "encoded") | ("xhtml", "body") | (_, "fullitem") => {
            (Field::Content, Kind::Html)
        }
        ("", "content") => {
            // Base64 and binary media types are not text to index (a summary beside them is).
            let binary = attribute(element, "type").is_some_and(|t| {
                let t = t.trim().to_ascii_lowercase();
                !t.is_empty()
                    && !matches!(t.as_str(), "text" | "html" | "xhtml")
                    && !t.starts_with("text/")
                    && !t.contains("xml")
                    && !t.contains("html")
            });
            if binary || attribute(element, "mode").as_deref() == Some("base64") {
                return None;
            }
            (Field::Content, typed(prose))
        }
        ("", "body") => (Field::Content, Kind::Html),
        ("", "summary") | ("", "description") | ("", "abstract") => (Field::Summary, typed(prose)),
        ("dc", "description") | ("itunes", "summary") | ("media", "description") => {
            (Field::AltSummary, typed(Kind::Html))
        }
        ("", "author") | ("dc", "creator") | ("itunes", "author") => (Field::Author, Kind::Text),
        ("", "name") => (Field::AuthorName, Kind::Text),
        ("", "pubdate") | ("", "published") | ("", "issued") | ("dc", "date") | ("", "created") => {
            (Field::Published, Kind::Text)
        }
        ("", "updated") | ("", "modified") | ("dcterms", "modified") => {
            (Field::Updated, Kind::Text)
        }
        ("" | "dc", "language") => (Field::Language, Kind::Text),
        ("media", "statistics") => {
            item.views = attribute(element, "views").and_then(|v| v.trim().parse().ok());
            item.likes = attribute(element, "favorites").and_then(|v| v.trim().parse().ok());
            return None;
        }
        _ => return None,
    })
}

fn store_field(item: &mut Draft, c: Capture) {
    let text = if c.nested { c.html } else { c.plain };
    let nested = c.nested;
    let kind = if nested { Kind::Html } else { c.kind };
    let keep = |slot: &mut Option<(String, Kind)>, text: String| {
        if slot.as_ref().is_none_or(|(t, _)| t.trim().is_empty()) {
            *slot = Some((text, kind));
        }
    };
    match c.field {
        Field::Title => keep(&mut item.title, text),
        Field::AltTitle => keep(&mut item.alt_title, text),
        Field::Summary => keep(&mut item.summary, text),
        Field::AltSummary => keep(&mut item.alt_summary, text),
        Field::Content => keep(&mut item.content, text),
        Field::Link => {
            if item.link.is_none()
                && let Some(base) = c.base.as_ref()
            {
                item.link = resolve(base, &text);
            }
        }
        Field::Guid => {
            if let Some((guid, _)) = item.guid.as_mut() {
                *guid = text.trim().to_string();
            }
        }
        Field::Id => item.id = Some(text.trim().to_string()).filter(|t| !t.is_empty()),
        Field::Author | Field::AuthorName => {
            // An Atom author is its <name> (not its address); an RSS author is its text.
            let text = match (text.find("<name>"), text.find("</name>")) {
                (Some(open), Some(close)) if nested && open < close => {
                    text[open + 6..close].to_string()
                }
                _ => text,
            };
            let name = crate::text::strip_tags(&text);
            let name = name.trim();
            if !name.is_empty() && !item.authors.iter().any(|a| a == name) {
                item.authors.push(name.to_string());
            }
        }
        Field::Published => {
            item.published.get_or_insert(text);
        }
        Field::Updated => {
            item.updated.get_or_insert(text);
        }
        Field::Language => item.language = Some(text.trim().to_string()).filter(|t| !t.is_empty()),
        Field::Ttl => {}
    }
}

/// The raw item a draft makes, or `None` when it has no title, no text and no link.
fn into_raw(item: Draft) -> Option<RawItem> {
    let Draft {
        title,
        alt_title,
        link,
        atom_links,
        guid,
        id,
        about,
        summary,
        alt_summary,
        content,
        authors,
        published,
        updated,
        language,
        views,
        likes,
    } = item;
    let html = |field: Option<(String, Kind)>| {
        field
            .filter(|(t, _)| !t.trim().is_empty())
            .map(|(t, kind)| as_html(t, kind, false))
    };
    let title = html(title).or_else(|| html(alt_title));
    let summary = html(summary).or_else(|| html(alt_summary));
    let content = html(content);
    let permalink = guid
        .as_ref()
        .filter(|(g, permalink)| {
            *permalink && (g.starts_with("http://") || g.starts_with("https://"))
        })
        .map(|(g, _)| g.clone());
    let atom_link = atom_links
        .iter()
        .find(|(rel, _)| {
            rel.as_deref()
                .is_none_or(|r| r.eq_ignore_ascii_case("alternate"))
        })
        .or_else(|| atom_links.first())
        .map(|(_, href)| href.clone());
    let url = link
        .filter(|l| !l.trim().is_empty())
        .or(atom_link)
        .or(permalink)
        .or_else(|| about.clone().filter(|a| a.starts_with("http")));
    if title.is_none() && summary.is_none() && content.is_none() && url.is_none() {
        return None;
    }
    let guid = guid
        .map(|(g, _)| g)
        .filter(|g| !g.is_empty())
        .or(id)
        .or(about);
    Some(RawItem {
        guid,
        url,
        title,
        summary,
        content,
        author: Some(authors.join(", ")).filter(|a| !a.is_empty()),
        published: published
            .as_deref()
            .and_then(parse_date)
            .or_else(|| updated.as_deref().and_then(parse_date)),
        language,
        social: crate::model::Social {
            engagement: crate::model::Engagement {
                views,
                likes,
                ..Default::default()
            },
            ..Default::default()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_cdata_sections_are_closed_at_their_elements_end() {
        let cases = [
            ("<d><![CDATA[a]]></d>", "<d><![CDATA[a]]></d>"),
            ("<d><![CDATA[a</d><e>x</e>", "<d><![CDATA[a]]></d><e>x</e>"),
            ("<d><![CDATA[<p>a</p></d>", "<d><![CDATA[<p>a</p>]]></d>"),
            ("<d><![CDATA[cut", "<d><![CDATA[cut]]>"),
            ("plain", "plain"),
        ];
        for (text, repaired) in cases {
            assert_eq!(close_open_cdata(text), repaired, "{text}");
        }
    }

    #[test]
    fn an_entrys_source_does_not_lend_it_its_title() {
        let base = Url::parse("https://news.example.org/feed").unwrap();
        let feed = read(
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><source><title>The feed it came from</title><link href=\"https://other.example.org/\"/></source><title>Its own title</title><link href=\"https://news.example.org/1\"/></entry></feed>",
            &base,
            10,
        );
        assert_eq!(feed.items[0].title.as_deref(), Some("Its own title"));
        assert_eq!(
            feed.items[0].url.as_deref(),
            Some("https://news.example.org/1")
        );
    }

    #[test]
    fn hostile_shapes_cost_time_in_proportion_to_their_size() {
        let base = Url::parse("https://news.example.org/feed").unwrap();
        let deep = "<rss><channel><item><title>t</title>".to_string()
            + &"<a>".repeat(200_000)
            + &"</b>".repeat(200_000);
        let cdata = "<rss><channel><item><description>".to_string() + &"<![CDATA[x".repeat(200_000);
        let amps = "<rss><channel><item><title>".to_string() + &"&a".repeat(400_000);
        for (name, text) in [("deep", deep), ("cdata", cdata), ("amps", amps)] {
            let started = std::time::Instant::now();
            let feed = read(&text, &base, 10_000);
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "{name}: {:?}",
                started.elapsed()
            );
            assert!(feed.items.len() <= 1, "{name}");
        }
        let deep = read(
            &("<rss><channel><item><title>kept</title></item><item>".to_string()
                + &"<a>".repeat(1_000)),
            &base,
            10,
        );
        assert_eq!(deep.items.len(), 1);
        assert!(
            deep.losses[0].contains("nested deeper than 256"),
            "{:?}",
            deep.losses
        );
    }
}
