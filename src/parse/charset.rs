//! Character encodings of fetched bodies. The order is the one browsers and feed readers use:
//! the HTTP `charset`, then a byte-order mark, then what the document says of itself (the XML
//! declaration, or an HTML `<meta charset>`), then a statistical guess (chardetng). A body
//! declared as UTF-8 that is not valid UTF-8 is guessed instead (a wrong label is common on
//! hand-made feeds). Out: UTF-8 text, with invalid sequences replaced, never a panic.

use encoding_rs::{Encoding, UTF_8};

/// Bytes inspected for an in-document declaration.
const DECLARATION_WINDOW: usize = 4096;

/// What kind of document the bytes are, which decides where a declaration may be found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Xml,
    Html,
    Json,
}

/// Where the encoding came from, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingSource {
    HttpHeader,
    ByteOrderMark,
    Declaration,
    Guess,
    Default,
}

/// Decodes a body to UTF-8 and says which encoding was used and why. UTF-32 (which browsers
/// do not decode, so encoding_rs has no decoder for it) is decoded here; it is reported as
/// UTF-8 with the evidence that found it.
pub fn decode(
    bytes: &[u8],
    content_type: Option<&str>,
    kind: DocumentKind,
) -> (String, &'static Encoding, EncodingSource) {
    if let Some((big_endian, bom)) = utf32(bytes) {
        let text = decode_utf32(&bytes[if bom { 4 } else { 0 }..], big_endian);
        let source = if bom {
            EncodingSource::ByteOrderMark
        } else {
            EncodingSource::Guess
        };
        return (text, UTF_8, source);
    }
    let (encoding, source) = detect(bytes, content_type, kind);
    let (text, _, _) = encoding.decode(bytes);
    (text.into_owned(), encoding, source)
}

/// Whether the bytes are UTF-32 (big-endian?) and start with a byte-order mark: a BOM, or the
/// pattern an XML or JSON document's first character makes (`<` or `{` with three zero bytes).
fn utf32(bytes: &[u8]) -> Option<(bool, bool)> {
    match bytes.get(..4)? {
        [0x00, 0x00, 0xFE, 0xFF] => Some((true, true)),
        [0xFF, 0xFE, 0x00, 0x00] => Some((false, true)),
        [0x00, 0x00, 0x00, b'<' | b'{'] => Some((true, false)),
        [b'<' | b'{', 0x00, 0x00, 0x00] => Some((false, false)),
        _ => None,
    }
}

fn decode_utf32(bytes: &[u8], big_endian: bool) -> String {
    bytes
        .chunks(4)
        .map(|chunk| {
            let mut unit = [0u8; 4];
            unit[..chunk.len()].copy_from_slice(chunk);
            let code = if big_endian {
                u32::from_be_bytes(unit)
            } else {
                u32::from_le_bytes(unit)
            };
            char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER)
        })
        .collect()
}

/// UTF-16 without a byte-order mark, recognised by the zero bytes around a document's first
/// ASCII characters (`<?`, `<r`, `{"`): big-endian or little-endian.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes.get(..4)? {
        [0x00, first, 0x00, second] if first.is_ascii() && second.is_ascii() && *first != 0 => {
            Some(encoding_rs::UTF_16BE)
        }
        [first, 0x00, second, 0x00] if first.is_ascii() && second.is_ascii() && *first != 0 => {
            Some(encoding_rs::UTF_16LE)
        }
        _ => None,
    }
}

/// Chooses the encoding of a body.
pub fn detect(
    bytes: &[u8],
    content_type: Option<&str>,
    kind: DocumentKind,
) -> (&'static Encoding, EncodingSource) {
    if let Some((encoding, _)) = Encoding::for_bom(bytes) {
        return (encoding, EncodingSource::ByteOrderMark);
    }
    // Zero bytes between ASCII characters are UTF-16 whatever the label says (a label cannot
    // be read without decoding first, and no other encoding makes them).
    if let Some(encoding) = utf16_without_bom(bytes) {
        return (encoding, EncodingSource::Guess);
    }
    if kind == DocumentKind::Json {
        // JSON is UTF-8 (RFC 8259); a wrong label is the label's fault.
        return (UTF_8, EncodingSource::Default);
    }
    let declared = content_type
        .and_then(charset_parameter)
        .map(|encoding| (encoding, EncodingSource::HttpHeader))
        .or_else(|| {
            let window = &bytes[..bytes.len().min(DECLARATION_WINDOW)];
            let found = match kind {
                DocumentKind::Xml => xml_declared_encoding(window),
                DocumentKind::Html => html_meta_charset(window),
                DocumentKind::Json => None,
            };
            found.map(|encoding| (encoding, EncodingSource::Declaration))
        });
    match declared {
        // UTF-16 labels on bytes without a BOM are almost always wrong (the document was
        // transcoded and the label kept); treat them as unknown.
        Some((encoding, _))
            if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE =>
        {
            guess(bytes)
        }
        Some((encoding, _)) if encoding == UTF_8 && std::str::from_utf8(bytes).is_err() => {
            guess(bytes)
        }
        Some(found) => found,
        None if std::str::from_utf8(bytes).is_ok() => (UTF_8, EncodingSource::Default),
        None => guess(bytes),
    }
}

fn guess(bytes: &[u8]) -> (&'static Encoding, EncodingSource) {
    // ISO-2022-JP is refused: it is a classic way to smuggle markup past escaping.
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    (
        detector.guess(None, chardetng::Utf8Detection::Allow),
        EncodingSource::Guess,
    )
}

/// The `charset` parameter of a Content-Type header, if it names a known encoding.
pub fn charset_parameter(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        Encoding::for_label(value.trim().trim_matches(['"', '\'']).as_bytes())
    })
}

/// The `encoding` pseudo-attribute of an XML declaration at the start of the document.
fn xml_declared_encoding(window: &[u8]) -> Option<&'static Encoding> {
    let text = ascii_prefix(window);
    let start = text.find("<?xml")?;
    if !text[..start].trim().is_empty() {
        return None;
    }
    let declaration = &text[start..start + text[start..].find("?>")?];
    attribute_value(declaration, "encoding").and_then(|label| Encoding::for_label(label.as_bytes()))
}

/// `<meta charset="…">` or `<meta http-equiv="Content-Type" content="…; charset=…">`.
fn html_meta_charset(window: &[u8]) -> Option<&'static Encoding> {
    let text = ascii_prefix(window).to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = text[from..].find("<meta") {
        let start = from + found;
        let end = text[start..].find('>').map_or(text.len(), |e| start + e);
        let tag = &text[start..end];
        if let Some(label) = attribute_value(tag, "charset") {
            if let Some(encoding) = Encoding::for_label(label.as_bytes()) {
                return Some(encoding);
            }
        }
        if let Some(content) = attribute_value(tag, "content") {
            if let Some(encoding) = charset_parameter(&format!("x;{content}")) {
                return Some(encoding);
            }
        }
        from = end;
    }
    None
}

/// The leading part of the bytes that is ASCII (declarations are ASCII in every encoding Vigil
/// reads without a BOM).
fn ascii_prefix(bytes: &[u8]) -> &str {
    let end = bytes
        .iter()
        .position(|b| !b.is_ascii())
        .unwrap_or(bytes.len());
    std::str::from_utf8(&bytes[..end]).unwrap_or_default()
}

fn attribute_value<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(found) = tag[from..].find(name) {
        let at = from + found;
        from = at + name.len();
        let before_ok = at == 0
            || !tag.as_bytes()[at - 1].is_ascii_alphanumeric() && tag.as_bytes()[at - 1] != b'-';
        let rest = tag[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let value = rest[1..].trim_start();
        let (quote, body) = match value.chars().next() {
            Some(q @ ('"' | '\'')) => (Some(q), &value[1..]),
            _ => (None, value),
        };
        let end = match quote {
            Some(q) => body.find(q),
            None => body.find(|c: char| c.is_whitespace() || c == '>' || c == '/' || c == ';'),
        }
        .unwrap_or(body.len());
        return Some(body[..end].trim());
    }
    None
}

/// Rewrites the XML declaration of already-decoded text to say UTF-8, so an XML parser does not
/// decode it a second time with the original label. The lenient feed reader reads decoded text
/// and ignores the declaration; the test that holds it to feed-rs's readings needs this.
#[cfg(test)]
pub fn declare_utf8(xml: &str) -> std::borrow::Cow<'_, str> {
    let body = xml.trim_start_matches('\u{feff}');
    let Some(start) = body.find("<?xml").filter(|s| body[..*s].trim().is_empty()) else {
        return std::borrow::Cow::Borrowed(body);
    };
    let Some(length) = body[start..].find("?>") else {
        return std::borrow::Cow::Borrowed(body);
    };
    let end = start + length;
    let declaration = &body[start..end];
    let Some(at) = declaration.find("encoding") else {
        return std::borrow::Cow::Borrowed(body);
    };
    let rest = &declaration[at..];
    let Some(open) = rest.find(['"', '\'']) else {
        return std::borrow::Cow::Borrowed(body);
    };
    let quote = rest.as_bytes()[open] as char;
    let Some(close) = rest[open + 1..].find(quote) else {
        return std::borrow::Cow::Borrowed(body);
    };
    let value_start = start + at + open + 1;
    let value_end = value_start + close;
    std::borrow::Cow::Owned(format!(
        "{}UTF-8{}",
        &body[..value_start],
        &body[value_end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUSSIAN: &str = "Международный уголовный суд выдал ордер на арест бывшего министра обороны. Правительство заявило, что не признаёт юрисдикцию суда и не будет сотрудничать с прокурором.";
    const FRENCH: &str = "La Cour pénale internationale a délivré un mandat d'arrêt contre l'ancien ministre. Le gouvernement conteste la compétence de la Cour et refuse de coopérer avec la procureure.";
    const GERMAN: &str = "Der Internationale Strafgerichtshof hat einen Haftbefehl gegen den früheren Verteidigungsminister erlassen. Die Regierung bestreitet die Zuständigkeit des Gerichts und lehnt jede Zusammenarbeit ab.";
    const JAPANESE: &str = "国際刑事裁判所は元国防大臣に対する逮捕状を発付した。政府は裁判所の管轄権を認めず、検察官との協力を拒否すると述べた。裁判官は証拠が十分であると判断した。";

    fn encode(text: &str, label: &str) -> Vec<u8> {
        let encoding = Encoding::for_label(label.as_bytes()).unwrap();
        let (bytes, _, unmappable) = encoding.encode(text);
        assert!(!unmappable, "{label} cannot encode the sample");
        bytes.into_owned()
    }

    #[test]
    fn every_encoding_from_every_place() {
        let samples = [
            ("windows-1251", RUSSIAN),
            ("windows-1252", FRENCH),
            ("iso-8859-1", GERMAN),
            ("shift_jis", JAPANESE),
        ];
        for (label, text) in samples {
            let expected = Encoding::for_label(label.as_bytes()).unwrap();
            let xml_body = |prolog: &str| {
                let mut bytes = prolog.as_bytes().to_vec();
                bytes.extend(encode(
                    &format!("<rss version=\"2.0\"><channel><title>{text}</title></channel></rss>"),
                    label,
                ));
                bytes
            };
            let html_body = |meta: &str| {
                let mut bytes =
                    format!("<!doctype html><html><head>{meta}<title>x</title></head><body><p>")
                        .into_bytes();
                bytes.extend(encode(text, label));
                bytes
            };
            let cases: Vec<(&str, Vec<u8>, Option<String>, DocumentKind, EncodingSource)> = vec![
                (
                    "http header",
                    xml_body(""),
                    Some(format!("application/rss+xml; charset={label}")),
                    DocumentKind::Xml,
                    EncodingSource::HttpHeader,
                ),
                (
                    "xml prolog",
                    xml_body(&format!("<?xml version=\"1.0\" encoding=\"{label}\"?>")),
                    Some("application/rss+xml".into()),
                    DocumentKind::Xml,
                    EncodingSource::Declaration,
                ),
                (
                    "html meta",
                    html_body(&format!("<meta charset=\"{label}\">")),
                    Some("text/html".into()),
                    DocumentKind::Html,
                    EncodingSource::Declaration,
                ),
                (
                    "html http-equiv",
                    html_body(&format!(
                        "<meta http-equiv=\"Content-Type\" content=\"text/html; charset={label}\">"
                    )),
                    None,
                    DocumentKind::Html,
                    EncodingSource::Declaration,
                ),
                (
                    "not declared",
                    xml_body(""),
                    Some("application/xml".into()),
                    DocumentKind::Xml,
                    EncodingSource::Guess,
                ),
            ];
            for (place, bytes, content_type, kind, source) in cases {
                let (decoded, encoding, found) = decode(&bytes, content_type.as_deref(), kind);
                assert!(decoded.contains(text), "{label} in {place}: {decoded}");
                assert_eq!(found, source, "{label} in {place}");
                if source != EncodingSource::Guess {
                    assert_eq!(encoding, expected, "{label} in {place}");
                }
            }
        }
    }

    #[test]
    fn wrong_labels_and_invalid_bytes() {
        let latin = encode(FRENCH, "windows-1252");
        // Declared UTF-8, really windows-1252: guessed.
        let (text, _, source) = decode(&latin, Some("text/xml; charset=utf-8"), DocumentKind::Xml);
        assert!(
            text.contains("pénale") && source == EncodingSource::Guess,
            "{text}"
        );
        // An unknown label is ignored.
        let (_, encoding, _) = decode(
            b"<rss/>",
            Some("text/xml; charset=klingon"),
            DocumentKind::Xml,
        );
        assert_eq!(encoding, UTF_8);
        // Truly broken UTF-8 in JSON: replacement characters, no panic.
        let (text, _, _) = decode(
            b"{\"title\": \"a\xff\xfeb\"}",
            Some("application/json"),
            DocumentKind::Json,
        );
        assert!(text.contains('\u{fffd}'));
        // A BOM wins over a wrong header.
        let (text, encoding, source) = decode(
            b"\xef\xbb\xbf<rss>caf\xc3\xa9</rss>",
            Some("text/xml; charset=iso-8859-1"),
            DocumentKind::Xml,
        );
        assert_eq!((encoding, source), (UTF_8, EncodingSource::ByteOrderMark));
        assert!(text.contains("café"));
    }

    #[test]
    fn declaration_is_rewritten_to_utf8() {
        let cases = [
            (
                "<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss/>",
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss/>",
            ),
            (
                "<?xml version='1.0' encoding='Shift_JIS' ?><rss/>",
                "<?xml version='1.0' encoding='UTF-8' ?><rss/>",
            ),
            (
                "<?xml version=\"1.0\"?><rss/>",
                "<?xml version=\"1.0\"?><rss/>",
            ),
            ("<rss encoding=\"x\"/>", "<rss encoding=\"x\"/>"),
        ];
        for (input, expected) in cases {
            assert_eq!(declare_utf8(input), expected);
        }
    }
}
