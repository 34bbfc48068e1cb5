//! Queries written for Brandwatch, Meltwater and Talkwalker, read into Vigil's language:
//! `vigil queries lint` and the workbench show the Vigil query, each change made on the way
//! and what has no equivalent. The parser itself reads most vendor constructs with the
//! vendors' meaning (`syntax`); this pass writes them out in Vigil's own spelling, so an
//! analyst sees, and keeps, one form.
//!
//! In: a vendor query and its dialect; out: a `Translation`.

/// Whose query it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Brandwatch,
    Meltwater,
    Talkwalker,
}

impl Dialect {
    pub fn parse(name: &str) -> Option<Dialect> {
        match name.to_ascii_lowercase().as_str() {
            "brandwatch" => Some(Dialect::Brandwatch),
            "meltwater" => Some(Dialect::Meltwater),
            "talkwalker" => Some(Dialect::Talkwalker),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Dialect::Brandwatch => "Brandwatch",
            Dialect::Meltwater => "Meltwater",
            Dialect::Talkwalker => "Talkwalker",
        }
    }
}

/// A vendor query in Vigil's spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    pub query: String,
    /// What was changed, one line each.
    pub changes: Vec<String>,
    /// Clauses with no Vigil equivalent, removed (the query matches more without them).
    pub no_equivalent: Vec<String>,
}

/// Vendor fields that filter on what Vigil does not know (audience, geography, sentiment).
const UNKNOWN_FIELDS: &[&str] = &[
    "country",
    "region",
    "city",
    "continent",
    "gender",
    "authorgender",
    "pagetype",
    "sentiment",
    "followers",
    "impact",
    "reach",
    "engagementtype",
    "interest",
    "profession",
    "accounttype",
];

/// One piece of the query as written.
enum Piece {
    Space(String),
    /// A quoted phrase (quotes normalised), with what follows it directly (`~2`).
    Quoted(String),
    Braced(String),
    Word(String),
    Paren(char),
}

fn pieces(text: &str) -> Vec<Piece> {
    let quote = |c: char| matches!(c, '"' | '“' | '”' | '„' | '«' | '»');
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            let mut s = String::new();
            while let Some(&c) = chars.peek().filter(|c| c.is_whitespace()) {
                s.push(c);
                chars.next();
            }
            out.push(Piece::Space(s));
        } else if quote(c) {
            chars.next();
            let mut s = String::new();
            for c in chars.by_ref() {
                if quote(c) {
                    break;
                }
                s.push(c);
            }
            out.push(Piece::Quoted(s));
        } else if c == '{' {
            chars.next();
            let s: String = chars.by_ref().take_while(|c| *c != '}').collect();
            out.push(Piece::Braced(s));
        } else if c == '(' || c == ')' {
            chars.next();
            out.push(Piece::Paren(c));
        } else {
            let mut s = String::new();
            while let Some(&c) = chars
                .peek()
                .filter(|c| !c.is_whitespace() && !quote(**c) && !matches!(c, '(' | ')' | '{'))
            {
                s.push(c);
                chars.next();
            }
            out.push(Piece::Word(s));
        }
    }
    out
}

/// Writes a vendor query in Vigil's language, saying what changed and what has no equivalent.
pub fn translate(text: &str, dialect: Dialect) -> Translation {
    let vendor = dialect.name();
    let mut changes: Vec<String> = Vec::new();
    let mut no_equivalent = Vec::new();
    if text.contains(['“', '”', '„', '«', '»']) {
        changes.push("typographic quotes written as \"…\"".into());
    }
    if text.contains(['’', '‘']) {
        changes.push("typographic apostrophes written as '".into());
    }
    let mut out = String::with_capacity(text.len() + 16);
    let pieces = pieces(&text.replace(['’', '‘'], "'"));
    let mut i = 0;
    while i < pieces.len() {
        match &pieces[i] {
            Piece::Space(s) => out.push_str(s),
            Piece::Paren(c) => out.push(*c),
            Piece::Quoted(s) => {
                out.push('"');
                out.push_str(s);
                out.push('"');
            }
            Piece::Braced(s) => {
                changes.push(format!(
                    "{{{s}}} ({vendor}: case-sensitive) written as raw:\"{s}\""
                ));
                out.push_str(&format!("raw:\"{s}\""));
            }
            Piece::Word(word) => {
                let upper = word.to_ascii_uppercase();
                let next_is_quote = matches!(pieces.get(i + 1), Some(Piece::Quoted(_)));
                if word == "+" && next_is_quote {
                    if let Some(Piece::Quoted(s)) = pieces.get(i + 1) {
                        changes.push(format!(
                            "+\"{s}\" ({vendor}: exact match) written as raw:\"{s}\""
                        ));
                        out.push_str(&format!("raw:\"{s}\""));
                        i += 2;
                        continue;
                    }
                }
                if let Some(rest) = word.strip_prefix('+').filter(|r| !r.is_empty()) {
                    changes.push(format!(
                        "+{rest}: every word is required in Vigil; the + is dropped"
                    ));
                    out.push_str(rest);
                } else if let Some(at) = word.rfind('^').filter(|at| {
                    let digits = &word[at + 1..];
                    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
                }) {
                    changes.push(format!(
                        "{} (a relevance boost) removed: it changes ranking, not what matches",
                        &word[at..]
                    ));
                    out.push_str(&word[..at]);
                } else if upper == "NEAR" {
                    changes.push(format!(
                        "NEAR without a number written as NEAR/{} (Meltwater's default)",
                        super::syntax::DEFAULT_NEAR
                    ));
                    out.push_str(&format!("NEAR/{}", super::syntax::DEFAULT_NEAR));
                } else if let Some(n) = upper
                    .strip_prefix("NEAR/")
                    .and_then(|n| n.strip_suffix('F'))
                    .filter(|n| n.chars().all(|c| c.is_ascii_digit()))
                {
                    changes.push(format!("{word} ({vendor}: in order) written as ONEAR/{n}"));
                    out.push_str(&format!("ONEAR/{n}"));
                } else if matches!(word.as_str(), "and" | "or" | "not") {
                    // The vendors read operators in capitals only: a lower-case one is a word.
                    changes.push(format!(
                        "lower-case \"{word}\" is a word for {vendor}, not an operator: quoted"
                    ));
                    out.push_str(&format!("\"{word}\""));
                } else if let Some((field, value)) = word.split_once(':')
                    && UNKNOWN_FIELDS.contains(&field.to_ascii_lowercase().as_str())
                {
                    let _ = value;
                    no_equivalent.push(format!(
                        "{word}: Vigil has no {field} (the query matches more without it)"
                    ));
                    // Drop the clause, and the operator joining it, if any.
                    while out.ends_with(' ') {
                        out.pop();
                    }
                    for op in [" AND", " OR", " NOT"] {
                        if out.ends_with(op) {
                            out.truncate(out.len() - op.len());
                        }
                    }
                } else if let Some(value) = word
                    .strip_prefix("language:")
                    .or_else(|| word.strip_prefix("lang:"))
                    .filter(|v| v.chars().count() > 3)
                {
                    let code = super::compile::language_code(value);
                    match code {
                        Some(code) => {
                            changes.push(format!("{word} written as lang:{code}"));
                            out.push_str(&format!("lang:{code}"));
                        }
                        None => out.push_str(word),
                    }
                } else if let Some(value) = word.strip_prefix("language:") {
                    changes.push(format!("{word} written as lang:{value}"));
                    out.push_str(&format!("lang:{value}"));
                } else {
                    out.push_str(word);
                }
            }
        }
        i += 1;
    }
    Translation {
        query: out.trim().to_string(),
        changes,
        no_equivalent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_queries_are_written_in_vigils_spelling_with_each_change_said() {
        let cases: &[(Dialect, &str, &str, usize, usize)] = &[
            (
                Dialect::Brandwatch,
                "“hacked files” AND {ICC} AND khan NEAR/3f corrupt",
                "\"hacked files\" AND raw:\"ICC\" AND khan ONEAR/3 corrupt",
                3,
                0,
            ),
            (
                Dialect::Meltwater,
                "court^9 AND (khan NEAR bribe*)",
                "court AND (khan NEAR/4 bribe*)",
                2,
                0,
            ),
            (
                Dialect::Talkwalker,
                "+\"ICC\" +warrant cyberattack~",
                "raw:\"ICC\" warrant cyberattack~",
                2,
                0,
            ),
            (
                Dialect::Brandwatch,
                "(cour or tribunal) AND language:french AND country:fr",
                "(cour \"or\" tribunal) AND lang:fr",
                2,
                1,
            ),
            (
                Dialect::Brandwatch,
                "l’ICC AND language:fr",
                "l'ICC AND lang:fr",
                2,
                0,
            ),
        ];
        for (dialect, vendor, vigil, changes, missing) in cases {
            let t = translate(vendor, *dialect);
            assert_eq!(t.query, *vigil, "{vendor}");
            assert_eq!(t.changes.len(), *changes, "{vendor}: {:?}", t.changes);
            assert_eq!(
                t.no_equivalent.len(),
                *missing,
                "{vendor}: {:?}",
                t.no_equivalent
            );
            // What comes out is a query Vigil reads.
            crate::query::syntax::parse(&t.query, &Default::default())
                .unwrap_or_else(|e| panic!("{vigil}: {}", e.render(&t.query)));
        }
    }
}
