//! Escaping and bounding of untrusted text for every output Vigil writes: HTML, Markdown and the
//! terminal. Crawled text is written by the people Vigil watches, so every renderer goes through
//! these functions; nothing here allocates more than its input's size times a small constant.
//! Also the text's SimHash fingerprint, computed at normalisation and compared by `dedup`.

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c if is_bidi_override(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for inline Markdown: no markup, links, images, HTML or line breaks survive.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.'
            | '!' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() || is_bidi_override(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Makes text safe to print on a terminal: control characters (escape sequences among them)
/// and bidirectional overrides are dropped, line breaks become spaces.
pub fn for_terminal(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() || is_bidi_control(c) => None,
            c => Some(c),
        })
        .collect()
}

/// Embedding, override and isolate controls: they reorder how text displays ("gnp.exe" shown as
/// "exe.png") and have no place in a headline. Plain direction marks (LRM, RLM) are kept in HTML
/// and Markdown, where right-to-left scripts use them.
fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn is_bidi_control(c: char) -> bool {
    is_bidi_override(c) || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// At most `max` characters of `text`, with an ellipsis when cut.
pub fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => {
            let mut out = text[..cut].trim_end().to_string();
            out.push('…');
            out
        }
    }
}

/// The URL if it is safe to render as a link (http or https only); `javascript:`, `data:` and
/// the rest are shown as text, never as links.
pub fn linkable(url: &str) -> Option<&str> {
    let parsed = url::Url::parse(url).ok()?;
    matches!(parsed.scheme(), "http" | "https").then_some(url)
}

/// The host a URL really points to, for showing next to a link.
pub fn link_domain(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| h.trim_start_matches("www.").to_string())
        })
        .unwrap_or_default()
}

/// A domain and each parent with at least two labels: `a.b.example.org` → itself,
/// `b.example.org`, `example.org`. (A public-suffix parent such as `co.uk` is kept too: harmless
/// for matching, since nobody asks for `site:co.uk` expecting one outlet.)
pub fn domain_and_parents(domain: &str) -> Vec<&str> {
    let mut out = Vec::new();
    if domain.is_empty() || domain.parse::<std::net::IpAddr>().is_ok() {
        if !domain.is_empty() {
            out.push(domain);
        }
        return out;
    }
    let mut rest = domain;
    loop {
        out.push(rest);
        match rest.split_once('.') {
            Some((_, parent)) if parent.contains('.') => rest = parent,
            _ => break,
        }
    }
    out
}

/// 64-bit SimHash of a text, over lowercase word 3-shingles (single words for very short texts).
pub fn simhash(text: &str) -> u64 {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect();
    if words.is_empty() {
        return 0;
    }
    let mut weights = [0i32; 64];
    let mut add = |hash: u64| {
        for (bit, weight) in weights.iter_mut().enumerate() {
            if hash >> bit & 1 == 1 {
                *weight += 1;
            } else {
                *weight -= 1;
            }
        }
    };
    if words.len() < 3 {
        words
            .iter()
            .for_each(|w| add(xxhash_rust::xxh3::xxh3_64(w.as_bytes())));
    } else {
        for shingle in words.windows(3) {
            add(xxhash_rust::xxh3::xxh3_64(shingle.join(" ").as_bytes()));
        }
    }
    weights.iter().enumerate().fold(
        0u64,
        |acc, (bit, &w)| if w > 0 { acc | 1 << bit } else { acc },
    )
}

/// A word folded for comparison across scripts and languages: lowercase, Latin accents
/// dropped, Cyrillic transliterated (a simplified passport scheme, soft and hard signs
/// dropped), so "Сольберг", "Solberg" and "Sölberg" all read "solberg".
pub fn transliterate(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars().flat_map(char::to_lowercase) {
        let latin = match c {
            'а' | 'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'ё' | 'э' | 'é' | 'è' | 'ê' | 'ë' | 'є' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' | 'і' | 'ї' | 'í' | 'ì' | 'î' | 'ï' => "i",
            'й' | 'ы' | 'ý' | 'ÿ' => "y",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' | 'ñ' => "n",
            'о' | 'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' => "o",
            'п' => "p",
            'р' => "r",
            'с' | 'ś' | 'š' => "s",
            'т' => "t",
            'у' | 'ú' | 'ù' | 'û' | 'ü' => "u",
            'ф' => "f",
            'х' => "kh",
            'ц' => "ts",
            'ч' | 'č' | 'ç' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ъ' | 'ь' => "",
            'ю' => "yu",
            'я' => "ya",
            'ž' => "zh",
            'ß' => "ss",
            c => {
                out.push(c);
                continue;
            }
        };
        out.push_str(latin);
    }
    out
}

/// Whether a lowercase word is a stopword in any language with a list in tantivy (the Snowball
/// lists: English, French, German, Spanish, Italian, Portuguese, Russian, Dutch, Danish,
/// Finnish, Hungarian, Norwegian, Swedish), so labels never read "contre · selon".
pub fn is_stopword(word: &str) -> bool {
    use std::sync::{Mutex, OnceLock};
    use tantivy::tokenizer::{Language, RawTokenizer, StopWordFilter, TextAnalyzer, TokenStream};
    /// The analysers, and the answers so far: labels ask about the same words again and again
    /// (emptied when it grows large).
    type Filters = (Vec<TextAnalyzer>, std::collections::HashMap<String, bool>);
    static FILTERS: OnceLock<Mutex<Filters>> = OnceLock::new();
    if FUNCTION_WORDS.binary_search(&word).is_ok() {
        return true;
    }
    let filters = FILTERS.get_or_init(|| {
        let languages = [
            Language::English,
            Language::French,
            Language::German,
            Language::Spanish,
            Language::Italian,
            Language::Portuguese,
            Language::Russian,
            Language::Dutch,
            Language::Danish,
            Language::Finnish,
            Language::Hungarian,
            Language::Norwegian,
            Language::Swedish,
        ];
        let analyzers = languages
            .into_iter()
            .filter_map(StopWordFilter::new)
            .map(|filter| {
                TextAnalyzer::builder(RawTokenizer::default())
                    .filter(filter)
                    .build()
            })
            .collect();
        Mutex::new((analyzers, Default::default()))
    });
    let mut guard = filters.lock().unwrap_or_else(|p| p.into_inner());
    let (analyzers, known) = &mut *guard;
    if let Some(&stop) = known.get(word) {
        return stop;
    }
    let stop = analyzers
        .iter_mut()
        .any(|analyzer| !analyzer.token_stream(word).advance());
    if known.len() >= 100_000 {
        known.clear();
    }
    known.insert(word.to_string(), stop);
    stop
}

/// Function words the stopword lists leave out (tantivy's English list is Lucene's short one;
/// the others miss prepositions, adverbs and reporting words that news in these languages uses
/// in every story), sorted for binary search.
const FUNCTION_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "according",
    "across",
    "after",
    "again",
    "against",
    "ago",
    "ainsi",
    "all",
    "alors",
    "also",
    "although",
    "am",
    "among",
    "an",
    "any",
    "après",
    "are",
    "as",
    "at",
    "aussi",
    "autre",
    "autres",
    "avant",
    "be",
    "because",
    "been",
    "before",
    "behind",
    "being",
    "below",
    "between",
    "beyond",
    "bien",
    "both",
    "but",
    "by",
    "can",
    "cannot",
    "cette",
    "chez",
    "comme",
    "contre",
    "could",
    "dabei",
    "dass",
    "daß",
    "depuis",
    "despite",
    "did",
    "do",
    "does",
    "doing",
    "dont",
    "down",
    "durant",
    "during",
    "déjà",
    "each",
    "encore",
    "entre",
    "etwa",
    "even",
    "ever",
    "few",
    "from",
    "further",
    "gegen",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "hier",
    "him",
    "himself",
    "his",
    "how",
    "however",
    "i",
    "if",
    "in",
    "including",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "leurs",
    "like",
    "many",
    "may",
    "me",
    "might",
    "moins",
    "more",
    "most",
    "much",
    "must",
    "my",
    "myself",
    "nach",
    "near",
    "neither",
    "never",
    "new",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "often",
    "on",
    "once",
    "one",
    "only",
    "onto",
    "or",
    "other",
    "others",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "où",
    "parmi",
    "pendant",
    "per",
    "plus",
    "près",
    "quand",
    "said",
    "same",
    "sans",
    "says",
    "seit",
    "selon",
    "several",
    "shall",
    "she",
    "should",
    "since",
    "so",
    "some",
    "sous",
    "still",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "though",
    "through",
    "to",
    "too",
    "tous",
    "tout",
    "toute",
    "toutes",
    "toward",
    "towards",
    "très",
    "two",
    "under",
    "unless",
    "until",
    "up",
    "upon",
    "vers",
    "very",
    "via",
    "vor",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "within",
    "without",
    "would",
    "yet",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "без",
    "более",
    "где",
    "даже",
    "если",
    "заявил",
    "из-     за",
    "когда",
    "между",
    "можно",
    "надо",
    "около",
    "пока",
    "после",
    "потому",
    "почему",
    "против",
    "также",
    "теперь",
    "только",
    "через",
    "чтобы",
    "эта",
    "этого",
    "этот",
];

/// Query parameters whose value is a credential (compared without case, `-` and `_`).
const SECRET_PARAMS: &[&str] = &[
    "key",
    "apikey",
    "token",
    "accesstoken",
    "authtoken",
    "auth",
    "authorization",
    "secret",
    "clientsecret",
    "password",
    "pass",
    "passwd",
    "pwd",
    "sig",
    "signature",
    "session",
    "sessionid",
    "sid",
    "credential",
    "credentials",
    "bearer",
    "code",
    "xamzsignature",
    "xamzcredential",
    "xamzsecuritytoken",
    "privatekey",
];

fn secret_param(name: &str) -> bool {
    let folded: String = name
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect();
    SECRET_PARAMS.contains(&folded.as_str())
        || folded.ends_with("apikey")
        || folded.ends_with("token")
}

/// `url` as it may be shown or logged: user name and password replaced by `***`, and so the
/// value of every query parameter that names a credential (`api_key`, `token`, `sig` …).
/// Works on the parsed URL, so no spelling (case, percent-encoding) slips through; text that
/// does not parse as a URL is shown as `(unparsable address)`.
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return "(unparsable address)".to_string();
    };
    if !parsed.username().is_empty() {
        let _ = parsed.set_username("***");
    }
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if secret_param(&k) {
                    "***".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// The credentials a URL carries (user name, password, secret parameter values), in every
/// spelling they may appear in text: as written in the URL and percent-decoded. Short values
/// (under 4 characters) are left out: scrubbing them would mangle ordinary text.
pub fn url_secrets(url: &str) -> Vec<String> {
    let Ok(parsed) = url::Url::parse(url) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut add = |raw: &str| {
        let decoded = url::form_urlencoded::parse(format!("x={raw}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        for value in [raw.to_string(), decoded] {
            if value.chars().count() >= 4 && !out.contains(&value) {
                out.push(value);
            }
        }
    };
    add(parsed.username());
    if let Some(password) = parsed.password() {
        add(password);
    }
    if let Some(query) = parsed.query() {
        for pair in query.split('&') {
            if let Some((k, v)) = pair.split_once('=')
                && url::form_urlencoded::parse(k.as_bytes())
                    .next()
                    .is_some_and(|(k, _)| secret_param(&k))
            {
                add(v);
            }
        }
    }
    // Longest first, so a secret that contains another is replaced whole.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

/// `text` with every one of `secrets` replaced by `***`.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_addresses_are_redacted_in_any_spelling() {
        let cases = [
            (
                "https://ana:s3cr%40t@feeds.example.org/rss?x=1",
                "https://***:***@feeds.example.org/rss?x=1",
            ),
            (
                "HTTPS://FEEDS.Example.org/search?q=icc&API_KEY=abcd1234&Access-Token=zzzz9999",
                "https://feeds.example.org/search?q=icc&API_KEY=***&Access-Token=***",
            ),
            (
                "https://news.example.org/feed?sig=deadbeef&page=2",
                "https://news.example.org/feed?sig=***&page=2",
            ),
            (
                "https://news.example.org/feed",
                "https://news.example.org/feed",
            ),
            ("not a url", "(unparsable address)"),
        ];
        for (url, shown) in cases {
            assert_eq!(redact_url(url), shown, "{url}");
        }
        let secrets =
            url_secrets("https://ana:s3cr%40t@feeds.example.org/rss?apiKey=abc%2Fdef&q=x");
        let message =
            "GET https://ana:s3cr%40t@feeds.example.org/rss?apiKey=abc/def failed; password s3cr@t";
        let scrubbed = scrub(message, &secrets);
        for secret in ["s3cr%40t", "s3cr@t", "abc/def"] {
            assert!(!scrubbed.contains(secret), "{scrubbed}");
        }
        assert!(scrubbed.contains("feeds.example.org"), "{scrubbed}");
    }

    #[test]
    fn transliteration_makes_names_read_alike_across_scripts() {
        let cases = [
            ("Сольберг", "solberg"),
            ("Solberg", "solberg"),
            ("Окафор", "okafor"),
            ("Дэниел", "deniel"),
            ("Велмар", "velmar"),
            ("Kessaro", "kessaro"),
            ("Gérard", "gerard"),
            ("Щукин", "shchukin"),
            ("ICCJ", "iccj"),
        ];
        for (word, expected) in cases {
            assert_eq!(transliterate(word), expected, "{word}");
        }
    }

    #[test]
    fn escapes_each_format() {
        let hostile =
            "<script>alert('x')</script> & \"q\" [link](javascript:alert(1)) \u{1b}[31mred\u{202E}";
        let html = escape_html(hostile);
        assert!(
            !html.contains('<') && !html.contains('"') && !html.contains('\u{1b}'),
            "{html}"
        );
        let md = escape_markdown(hostile);
        assert!(
            md.contains("\\[link\\]\\(javascript:alert\\(1\\)\\)"),
            "{md}"
        );
        assert!(!md.contains('<'), "{md}");
        let term = for_terminal(hostile);
        assert!(
            !term.contains('\u{1b}') && !term.contains('\u{202E}'),
            "{term:?}"
        );
    }

    #[test]
    fn truncates_on_char_boundaries() {
        let cases = [
            ("abc", 5, "abc"),
            ("abcdef", 3, "abc…"),
            ("été à la", 3, "été…"),
            ("ab cd", 3, "ab…"),
        ];
        for (text, max, expected) in cases {
            assert_eq!(truncate_chars(text, max), expected);
        }
    }

    #[test]
    fn only_web_links_are_linkable() {
        let cases = [
            ("https://a.example/x", true),
            ("http://a.example/x", true),
            ("javascript:alert(1)", false),
            ("JaVaScRiPt:alert(1)", false),
            ("data:text/html,hi", false),
            ("not a url", false),
        ];
        for (url, ok) in cases {
            assert_eq!(linkable(url).is_some(), ok, "{url}");
        }
        assert_eq!(link_domain("https://www.news.example/a?b"), "news.example");
    }
}

/// Elements that never have content, or whose end tag may be left out (so repeating them does
/// not nest): they do not count towards nesting.
const NON_NESTING: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead",
    "tbody", "tfoot", "colgroup", "rt", "rp", "caption", "!doctype",
];

/// An upper estimate of how deeply an HTML text nests its elements, by a linear scan of its
/// tags. HTML parsers (html5ever included) take time quadratic in the nesting depth, so a page
/// of 100,000 nested `<div>`s stalls them for minutes: callers check this first.
pub fn html_nesting_estimate(html: &str) -> usize {
    let bytes = html.as_bytes();
    let (mut depth, mut deepest, mut at) = (0usize, 0usize, 0usize);
    while let Some(offset) = memchr_lt(&bytes[at..]) {
        let start = at + offset + 1;
        if bytes[start..].starts_with(b"!--") {
            // A comment: skip to its end; tags inside it are not tags.
            at = html[start..]
                .find("-->")
                .map_or(bytes.len(), |end| start + end + 3);
            if at >= bytes.len() {
                break;
            }
            continue;
        }
        let closing = bytes.get(start) == Some(&b'/');
        let name_start = if closing { start + 1 } else { start };
        let name_end = bytes[name_start..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'!' || *b == b'-'))
            .map_or(bytes.len(), |p| name_start + p);
        let name = &html[name_start..name_end];
        let tag_end = bytes[name_end..]
            .iter()
            .position(|b| *b == b'>')
            .map_or(bytes.len(), |p| name_end + p);
        let self_closing = tag_end > 0 && bytes.get(tag_end - 1) == Some(&b'/');
        let nests = !name.is_empty() && !NON_NESTING.iter().any(|n| n.eq_ignore_ascii_case(name));
        if nests && !self_closing {
            if closing {
                depth = depth.saturating_sub(1);
            } else {
                depth += 1;
                deepest = deepest.max(depth);
            }
        }
        at = tag_end.max(start);
        if at >= bytes.len() {
            break;
        }
    }
    deepest
}

/// Elements whose content never reaches a reader: removed before article extraction, which
/// then parses about half as many bytes on typical news pages (scripts and styles are 55% of
/// the benchmark's HTML). JSON-LD scripts are kept: they carry dates and authors.
const INERT: &[&str] = &["script", "style", "svg", "template"];

/// The HTML without its script (except JSON-LD), style, svg and template elements. Linear;
/// an unclosed inert element swallows the rest of the text, as a browser would.
pub fn strip_inert_elements(html: &str) -> std::borrow::Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut out: Option<String> = None;
    let (mut copied, mut at) = (0usize, 0usize);
    while let Some(offset) = memchr_lt(&bytes[at..]) {
        let start = at + offset;
        at = start + 1;
        let Some(name) = INERT.iter().find(|name| {
            let end = start + 1 + name.len();
            bytes
                .get(start + 1..end)
                .is_some_and(|b| b.eq_ignore_ascii_case(name.as_bytes()))
                && bytes
                    .get(end)
                    .is_some_and(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
        }) else {
            continue;
        };
        let open_end = html[start..]
            .find('>')
            .map_or(html.len(), |e| start + e + 1);
        if *name == "script"
            && html[start..open_end]
                .to_ascii_lowercase()
                .contains("ld+json")
        {
            continue;
        }
        let close = format!("</{name}");
        let end = find_ignore_case(&html[open_end..], &close)
            .map(|p| open_end + p)
            .and_then(|p| html[p..].find('>').map(|e| p + e + 1))
            .unwrap_or(html.len());
        let buffer = out.get_or_insert_with(|| String::with_capacity(html.len() / 2));
        buffer.push_str(&html[copied..start]);
        copied = end;
        at = end;
        if at >= bytes.len() {
            break;
        }
    }
    match out {
        None => std::borrow::Cow::Borrowed(html),
        Some(mut buffer) => {
            buffer.push_str(&html[copied.min(html.len())..]);
            std::borrow::Cow::Owned(buffer)
        }
    }
}

fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    let (hay, needle) = (haystack.as_bytes(), needle.as_bytes());
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut at = 0;
    while let Some(offset) = hay[at..].iter().position(|b| *b == first) {
        let start = at + offset;
        if hay
            .get(start..start + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
        {
            return Some(start);
        }
        at = start + 1;
    }
    None
}

fn memchr_lt(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|b| *b == b'<')
}

/// Text of an HTML fragment without parsing it: tags dropped, the few common entities decoded.
/// Linear in the input; used when a fragment is too deeply nested to hand to a parser.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
}

#[cfg(test)]
mod nesting_tests {
    use super::*;

    #[test]
    fn estimates_nesting_linearly() {
        let cases: Vec<(String, usize)> = vec![
            ("<div><p>a<p>b<p>c</div>".into(), 1),
            (
                "<html><body><div><span>x</span></div></body></html>".into(),
                4,
            ),
            ("<br><img src=x><hr/>".into(), 0),
            ("<div>".repeat(1000), 1000),
            ("<p>".repeat(20_000), 0),
            ("<li>x".repeat(500), 0),
            ("text without tags".into(), 0),
            ("<!-- <div><div> -->".into(), 0),
            ("a < b and c > d".into(), 0),
        ];
        for (html, expected) in cases {
            assert_eq!(
                html_nesting_estimate(&html),
                expected,
                "{}",
                truncate_chars(&html, 40)
            );
        }
        let started = std::time::Instant::now();
        assert_eq!(html_nesting_estimate(&"<div>".repeat(1_000_000)), 1_000_000);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert_eq!(
            strip_tags("<p>a &amp; b</p><div>c</div>")
                .split_whitespace()
                .collect::<Vec<_>>(),
            ["a", "&", "b", "c"]
        );
    }

    #[test]
    fn stopwords_in_every_listed_language() {
        let cases = [
            ("the", true),
            ("was", true),
            ("does", true),
            ("contre", true),
            ("selon", true),
            ("und", true),
            ("что", true),
            ("court", false),
            ("warrant", false),
            ("mandat", false),
            ("hacked", false),
            ("судья", false),
        ];
        for (word, stop) in cases {
            assert_eq!(is_stopword(word), stop, "{word}");
        }
    }
}
