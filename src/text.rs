//! Escaping and bounding of untrusted text for every output Vigil writes: HTML, Markdown and the
//! terminal. Crawled text is written by the people Vigil watches, so every renderer goes through
//! these functions; nothing here allocates more than its input's size times a small constant.

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

#[cfg(test)]
mod tests {
    use super::*;

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
