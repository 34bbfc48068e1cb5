//! The analysts' query language as text → syntax tree. In: the query text and the name lists
//! (`$officials`); out: a `Node` tree whose every clause keeps the span of text it came from
//! (for `explain` and for error carets), or a `QueryError` that points at the offending position
//! with a hint. No index is needed here: `compile` turns the tree into tantivy queries.
//!
//! Grammar, loosest binding first:
//! ```text
//! query   := or
//! or      := and ("OR" and)*
//! and     := unary (["AND"] unary)*          bare juxtaposition means AND
//! unary   := ("NOT" | "-") unary | near
//! near    := primary (("NEAR/n" | "ONEAR/n") primary)*
//! primary := "(" or ")" | FIELD ":" primary | "phrase"[~n] | word | word* | wo?d | word~n
//!          | #tag | @handle | $list | raw:"exact Surface"
//! ```
//! Operators are case-insensitive; `<<<comments>>>` are blanked before lexing.

use super::QueryError;
use super::lists::Lists;

/// Longest NEAR distance or phrase slop, in words. Title and body are kept further apart than
/// this in the stemmed fields, so no proximity match crosses from one to the other.
pub const MAX_DISTANCE: u32 = 100;
/// Deepest nesting of parentheses and operators accepted.
const MAX_DEPTH: usize = 64;
/// Most leaf clauses in one query once lists are expanded.
pub const MAX_CLAUSES: usize = 4_096;
/// NEAR without a number: within this many words (Meltwater's default).
pub const DEFAULT_NEAR: u32 = 4;
/// Letters a wildcard needs before it.
pub const MIN_WILDCARD_PREFIX: usize = 3;

/// Byte range of a clause in the query text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// Where a text clause looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Title and body, with each language's stemming.
    Text,
    Title,
    Body,
    Author,
}

/// A field holding exact values (not analysed text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    Site,
    Url,
    Source,
    Kind,
    Lang,
    Hashtag,
    Mention,
    Links,
}

/// A word as written: plain, with wildcards (`*`, `?`) or fuzzy (`~1`, `~2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    Exact(String),
    Wildcard(String),
    Fuzzy(String, u8),
}

impl Pattern {
    pub fn text(&self) -> &str {
        match self {
            Pattern::Exact(t) | Pattern::Wildcard(t) | Pattern::Fuzzy(t, _) => t,
        }
    }
}

/// A clause of the tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `*` alone: every document (to list by filters only, e.g. `* lang:fr`).
    All(Span),
    And(Vec<Node>, Span),
    Or(Vec<Node>, Span),
    Not(Box<Node>, Span),
    Word(Scope, Pattern, Span),
    /// Words in order; `slop` extra words allowed in total. Words may carry wildcards.
    Phrase {
        scope: Scope,
        words: Vec<Pattern>,
        slop: u32,
        span: Span,
    },
    /// The exact surface form (case and accents as written), in title or body.
    Raw(String, Span),
    Value(Keyword, Pattern, Span),
    Near {
        left: Box<Node>,
        right: Box<Node>,
        distance: u32,
        ordered: bool,
        span: Span,
    },
    /// Brandwatch's group proximity `(a b c)~n`: every part, in any order, within a stretch
    /// of text holding at most `slop` other words.
    Window {
        parts: Vec<Node>,
        slop: u32,
        span: Span,
    },
    /// A name list, expanded to its spellings (each a phrase).
    List {
        name: String,
        scope: Scope,
        spellings: Vec<String>,
        span: Span,
    },
}

impl Node {
    pub fn span(&self) -> Span {
        match self {
            Node::All(s)
            | Node::And(_, s)
            | Node::Or(_, s)
            | Node::Not(_, s)
            | Node::Word(_, _, s)
            | Node::Raw(_, s)
            | Node::Value(_, _, s) => *s,
            Node::Phrase { span, .. }
            | Node::Near { span, .. }
            | Node::List { span, .. }
            | Node::Window { span, .. } => *span,
        }
    }

    /// Direct sub-clauses.
    pub fn children(&self) -> Vec<&Node> {
        match self {
            Node::And(c, _) | Node::Or(c, _) => c.iter().collect(),
            Node::Not(c, _) => vec![c],
            Node::Near { left, right, .. } => vec![left, right],
            Node::Window { parts, .. } => parts.iter().collect(),
            _ => Vec::new(),
        }
    }
}

/// Fields analysts may name, with what they mean.
pub const FIELDS: &[(&str, &str)] = &[
    ("title", "words in the title"),
    ("body", "words in the body"),
    ("author", "words in the author's name"),
    ("site", "the document's domain and its subdomains"),
    ("url", "the document's address (wildcards allowed)"),
    ("source", "the configured source name"),
    ("kind", "news, mastodon, bluesky, reddit, telegram, youtube"),
    ("lang", "language code, e.g. fr"),
    ("hashtag", "a hashtag, also written #tag"),
    ("mention", "a mentioned account, also written @handle"),
    ("links", "a shared URL or domain"),
    ("raw", "the exact surface form, case and accents as written"),
];

enum FieldTarget {
    Scope(Scope),
    Keyword(Keyword),
    Raw,
}

fn field_named(name: &str) -> Option<FieldTarget> {
    Some(match name.to_ascii_lowercase().as_str() {
        "title" => FieldTarget::Scope(Scope::Title),
        "body" | "text" => FieldTarget::Scope(Scope::Body),
        "author" => FieldTarget::Scope(Scope::Author),
        "site" | "domain" => FieldTarget::Keyword(Keyword::Site),
        "url" => FieldTarget::Keyword(Keyword::Url),
        "source" => FieldTarget::Keyword(Keyword::Source),
        "kind" => FieldTarget::Keyword(Keyword::Kind),
        "lang" | "language" => FieldTarget::Keyword(Keyword::Lang),
        "hashtag" | "tag" => FieldTarget::Keyword(Keyword::Hashtag),
        "mention" => FieldTarget::Keyword(Keyword::Mention),
        "links" | "link" => FieldTarget::Keyword(Keyword::Links),
        "raw" => FieldTarget::Raw,
        _ => return None,
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    And,
    Or,
    Not,
    Minus,
    Near {
        distance: u32,
        ordered: bool,
    },
    /// `name:` directly followed by a value.
    Field(String),
    Phrase {
        text: String,
        slop: Option<u32>,
    },
    Word(String),
}

#[derive(Debug, Clone)]
struct Lexed {
    tok: Tok,
    span: Span,
}

fn error(at: Span, message: impl Into<String>, hint: Option<&str>) -> QueryError {
    QueryError {
        message: message.into(),
        at: Some((at.start, at.end)),
        hint: hint.map(str::to_string),
    }
}

/// Replaces `<<<comments>>>` with spaces, keeping every byte offset.
fn blank_comments(text: &str) -> Result<String, QueryError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut offset = 0;
    while let Some(open) = rest.find("<<<") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 3..];
        let Some(close) = after.find(">>>") else {
            let at = offset + open;
            return Err(error(
                Span {
                    start: at,
                    end: at + 3,
                },
                "this comment is never closed",
                Some("close comments with >>>, e.g. <<<my note>>>"),
            ));
        };
        let blanked = 3 + close + 3;
        out.extend(std::iter::repeat_n(' ', blanked));
        offset += open + blanked;
        rest = &rest[open + blanked..];
    }
    out.push_str(rest);
    Ok(out)
}

fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '(' | ')' | '{' | '}') && !is_quote(c)
}

/// Double quotes as typed, and as word processors and e-mail clients turn them: “…”, „…“,
/// «…». A pasted phrase stays a phrase.
fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '„' | '«' | '»')
}

/// Apostrophes as word processors write them, as typed.
fn plain_apostrophes(text: &str) -> String {
    text.replace(['’', '‘'], "'")
}

/// Lucene and Meltwater relevance boosts (`court^9`): they change ranking, not matching.
fn boost_at(word: &str) -> Option<usize> {
    let at = word.rfind('^')?;
    let digits = &word[at + 1..];
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.')).then_some(at)
}

fn lex(text: &str) -> Result<Vec<Lexed>, QueryError> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().unwrap_or(' ');
        let start = i;
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        match c {
            '(' | ')' => {
                i += 1;
                out.push(Lexed {
                    tok: if c == '(' { Tok::Open } else { Tok::Close },
                    span: Span { start, end: i },
                });
            }
            '{' => {
                // Brandwatch's case-sensitive `{ICC}`: Vigil's `raw:"ICC"`.
                let Some(close) = text[i + 1..].find('}') else {
                    return Err(error(
                        Span {
                            start,
                            end: start + 1,
                        },
                        "this brace is never closed",
                        Some("{ICC} matches ICC exactly as written (case too), like raw:\"ICC\""),
                    ));
                };
                let inner = plain_apostrophes(&text[i + 1..i + 1 + close]);
                let end = i + close + 2;
                out.push(Lexed {
                    tok: Tok::Field("raw".into()),
                    span: Span {
                        start,
                        end: start + 1,
                    },
                });
                out.push(Lexed {
                    tok: Tok::Phrase {
                        text: inner,
                        slop: None,
                    },
                    span: Span { start, end },
                });
                i = end;
            }
            '}' => {
                return Err(error(
                    Span {
                        start,
                        end: start + 1,
                    },
                    "nothing opened this brace",
                    Some("{ICC} matches ICC exactly as written"),
                ));
            }
            c if is_quote(c) => {
                let open = c.len_utf8();
                let Some(close_at) = text[i + open..].find(is_quote) else {
                    return Err(error(
                        Span {
                            start,
                            end: start + 1,
                        },
                        "this quote is never closed",
                        Some("phrases are written between two double quotes: \"hacked files\""),
                    ));
                };
                let close_len = text[i + open + close_at..]
                    .chars()
                    .next()
                    .map_or(1, char::len_utf8);
                let inner = plain_apostrophes(&text[i + open..i + open + close_at]);
                i += open + close_at + close_len;
                let mut slop = None;
                if bytes.get(i) == Some(&b'~') {
                    let digits: String = text[i + 1..]
                        .chars()
                        .take_while(|c| c.is_ascii_digit())
                        .collect();
                    let span = Span {
                        start: i,
                        end: i + 1 + digits.len(),
                    };
                    let n = digits.parse::<u32>().map_err(|_| {
                        error(
                            span,
                            "a phrase's ~ needs a number of words",
                            Some("\"hacked files\"~2 allows two extra words between them"),
                        )
                    })?;
                    if n > MAX_DISTANCE {
                        return Err(error(
                            span,
                            format!("a phrase allows at most {MAX_DISTANCE} extra words"),
                            None,
                        ));
                    }
                    slop = Some(n);
                    i = span.end;
                }
                out.push(Lexed {
                    tok: Tok::Phrase { text: inner, slop },
                    span: Span { start, end: i },
                });
            }
            '+' if text[i + 1..].starts_with(is_quote) => {
                return Err(error(
                    Span {
                        start,
                        end: start + 1,
                    },
                    "+\"…\" is Talkwalker's exact (raw) search",
                    Some("write raw:\"ICC\" for the words exactly as written, case included"),
                ));
            }
            // Lucene's required term: required is the default here.
            '+' if text[i + 1..].starts_with(|c: char| is_word_char(c) || c == '(') => {
                i += 1;
            }
            '-' if text[i + 1..].starts_with(char::is_whitespace)
                && out
                    .last()
                    .is_some_and(|l: &Lexed| !matches!(l.tok, Tok::And | Tok::Or | Tok::Not)) =>
            {
                return Err(error(
                    Span {
                        start,
                        end: start + 1,
                    },
                    "a minus sign must touch the word it excludes",
                    Some("court -hacked, or court NOT hacked"),
                ));
            }
            '-' if text[i + 1..]
                .starts_with(|c: char| is_word_char(c) || c == '(' || is_quote(c)) =>
            {
                i += 1;
                out.push(Lexed {
                    tok: Tok::Minus,
                    span: Span { start, end: i },
                });
            }
            _ => {
                let len: usize = text[i..]
                    .chars()
                    .take_while(|&c| is_word_char(c))
                    .map(char::len_utf8)
                    .sum();
                let word = &text[i..i + len];
                let span = Span {
                    start,
                    end: i + len,
                };
                // `name:value`, `name:(…)`, `name:"…"`.
                if let Some(colon) = word.find(':') {
                    let name = &word[..colon];
                    let known = field_named(name).is_some();
                    let looks_like_field =
                        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic());
                    let followed =
                        colon + 1 < word.len() || text[i + len..].starts_with(['(', '"']);
                    if known && followed {
                        out.push(Lexed {
                            tok: Tok::Field(name.to_ascii_lowercase()),
                            span: Span {
                                start,
                                end: i + colon + 1,
                            },
                        });
                        // A bare value is taken whole (`url:https://…` holds colons).
                        if colon + 1 < word.len() {
                            out.push(Lexed {
                                tok: Tok::Word(word[colon + 1..].to_string()),
                                span: Span {
                                    start: i + colon + 1,
                                    end: i + len,
                                },
                            });
                            i += len;
                        } else {
                            i += colon + 1;
                        }
                        continue;
                    }
                    if known {
                        return Err(error(
                            span,
                            format!("{name}: needs a value"),
                            Some("write the value right after the colon, e.g. lang:fr"),
                        ));
                    }
                    if looks_like_field && followed {
                        let names: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
                        return Err(error(
                            Span {
                                start,
                                end: i + colon + 1,
                            },
                            format!("unknown field {name}:"),
                            Some(&format!(
                                "fields are {}; to search the text itself, quote it",
                                names.join(", ")
                            )),
                        ));
                    }
                }
                if let Some(at) = boost_at(word) {
                    return Err(error(
                        Span {
                            start: i + at,
                            end: i + len,
                        },
                        format!(
                            "{} is a relevance boost (Meltwater, Lucene): it changes ranking, not what matches",
                            &word[at..]
                        ),
                        Some("remove it; Vigil ranks by relevance without boosts"),
                    ));
                }
                i += len;
                let upper = word.to_ascii_uppercase();
                let tok = match upper.as_str() {
                    "AND" | "&&" => Tok::And,
                    "OR" | "||" => Tok::Or,
                    "NOT" => Tok::Not,
                    // Meltwater's NEAR without a number: within 4 words, either order.
                    "NEAR" => Tok::Near {
                        distance: DEFAULT_NEAR,
                        ordered: false,
                    },
                    _ if upper == "ONEAR" => {
                        return Err(error(
                            span,
                            format!("{upper} needs a distance, e.g. {upper}/5"),
                            Some(if upper == "NEAR" {
                                "NEAR/5 means within 5 words, in either order"
                            } else {
                                "ONEAR/5 means the left side first, then the right within 5 words"
                            }),
                        ));
                    }
                    _ if upper.starts_with("NEAR/") || upper.starts_with("ONEAR/") => {
                        let digits = &word[word.find('/').unwrap_or(0) + 1..];
                        // Brandwatch's `NEAR/3f`: the left side first, as ONEAR/3.
                        let (digits, forward) = match digits.strip_suffix(['f', 'F']) {
                            Some(d) => (d, true),
                            None => (digits, false),
                        };
                        let ordered = upper.starts_with('O') || forward;
                        let distance = digits.parse::<u32>().map_err(|_| {
                            error(
                                span,
                                "NEAR/ needs a whole number of words",
                                Some("e.g. NEAR/5 means within 5 words"),
                            )
                        })?;
                        if distance > MAX_DISTANCE {
                            return Err(error(
                                span,
                                format!("NEAR distance is at most {MAX_DISTANCE} words"),
                                None,
                            ));
                        }
                        Tok::Near { distance, ordered }
                    }
                    _ => Tok::Word(plain_apostrophes(word)),
                };
                out.push(Lexed { tok, span });
            }
        }
    }
    Ok(out)
}

/// Parses query text into a tree, expanding `$lists`.
/// Notes on how a query was read that its author may not expect: a lower-case `and`, `or` or
/// `not` is read as the operator here, where Brandwatch, Meltwater and Talkwalker read it as a
/// word (the French "or"). Shown beside results; nothing is refused.
pub fn reading_notes(text: &str) -> Vec<String> {
    let Ok(blanked) = blank_comments(text) else {
        return Vec::new();
    };
    let Ok(tokens) = lex(&blanked) else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    for token in tokens {
        if matches!(token.tok, Tok::And | Tok::Or | Tok::Not) {
            let written = &text[token.span.start..token.span.end];
            if written.chars().all(|c| c.is_lowercase())
                && !notes
                    .iter()
                    .any(|n: &String| n.contains(&format!("\"{written}\"")))
            {
                notes.push(format!(
                    "lower-case \"{written}\" is read as the operator {}; to search the word, put it in quotes (other tools read lower-case operators as words)",
                    written.to_uppercase()
                ));
            }
        }
    }
    notes
}

pub fn parse(text: &str, lists: &Lists) -> Result<Node, QueryError> {
    let blanked = blank_comments(text)?;
    let tokens = lex(&blanked)?;
    if tokens.is_empty() {
        return Err(QueryError {
            message: "the query is empty".into(),
            at: None,
            hint: Some("type words, e.g. court AND (hacked OR leaked)".into()),
        });
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        lists,
        depth: 0,
        clauses: 0,
        end: text.len(),
    };
    let node = parser.or(Scope::Text, None)?;
    if let Some(extra) = parser.peek() {
        let span = extra.span;
        return Err(match extra.tok {
            Tok::Close => error(
                span,
                "nothing opened this parenthesis",
                Some("remove it or add the matching ("),
            ),
            _ => error(span, "unexpected text here", None),
        });
    }
    Ok(node)
}

struct Parser<'a> {
    tokens: Vec<Lexed>,
    pos: usize,
    lists: &'a Lists,
    depth: usize,
    clauses: usize,
    end: usize,
}

/// The field context a clause is parsed in.
#[derive(Clone, Copy)]
enum Context {
    Scope(Scope),
    Keyword(Keyword),
    Raw,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Lexed> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Lexed> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn end_span(&self) -> Span {
        Span {
            start: self.end,
            end: self.end,
        }
    }

    fn enter(&mut self, span: Span) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(error(
                span,
                format!("the query nests deeper than {MAX_DEPTH} levels"),
                None,
            ));
        }
        Ok(())
    }

    fn leaf(&mut self, span: Span, count: usize) -> Result<(), QueryError> {
        self.clauses += count;
        if self.clauses > MAX_CLAUSES {
            return Err(error(
                span,
                format!("the query has more than {MAX_CLAUSES} terms"),
                Some("split it into several stored queries"),
            ));
        }
        Ok(())
    }

    fn ctx_scope(ctx: Option<Context>, default: Scope) -> Context {
        ctx.unwrap_or(Context::Scope(default))
    }

    fn or(&mut self, scope: Scope, ctx: Option<Context>) -> Result<Node, QueryError> {
        let first = self.and(scope, ctx)?;
        let mut items = vec![first];
        while let Some(Lexed { tok: Tok::Or, span }) = self.peek().cloned() {
            self.pos += 1;
            if matches!(
                self.peek().map(|t| &t.tok),
                None | Some(Tok::Close | Tok::Or)
            ) {
                return Err(error(
                    span,
                    "OR needs something on its right",
                    Some("e.g. khan OR prosecutor"),
                ));
            }
            items.push(self.and(scope, ctx)?);
        }
        Ok(join(items, Node::Or))
    }

    fn and(&mut self, scope: Scope, ctx: Option<Context>) -> Result<Node, QueryError> {
        let mut items = Vec::new();
        loop {
            match self.peek().map(|t| t.tok.clone()) {
                None | Some(Tok::Close) | Some(Tok::Or) => break,
                Some(Tok::And) => {
                    let span = self.tokens[self.pos].span;
                    self.pos += 1;
                    if items.is_empty()
                        || matches!(
                            self.peek().map(|t| &t.tok),
                            None | Some(Tok::Close | Tok::Or | Tok::And)
                        )
                    {
                        return Err(error(
                            span,
                            "AND needs something on both sides",
                            Some("e.g. court AND hacked"),
                        ));
                    }
                }
                Some(_) => items.push(self.unary(scope, ctx)?),
            }
        }
        if items.is_empty() {
            let span = self.peek().map_or(self.end_span(), |t| t.span);
            let what = match self.peek().map(|t| &t.tok) {
                Some(Tok::Or) => "OR needs something on its left",
                Some(Tok::Close) => "empty parentheses",
                _ => "something is missing here",
            };
            return Err(error(span, what, None));
        }
        Ok(join(items, Node::And))
    }

    fn unary(&mut self, scope: Scope, ctx: Option<Context>) -> Result<Node, QueryError> {
        let Some(head) = self.peek().cloned() else {
            return Err(error(self.end_span(), "something is missing here", None));
        };
        if matches!(head.tok, Tok::Not | Tok::Minus) {
            self.pos += 1;
            self.enter(head.span)?;
            if matches!(
                self.peek().map(|t| &t.tok),
                None | Some(Tok::Close | Tok::Or | Tok::And)
            ) {
                return Err(error(
                    head.span,
                    "NOT needs something to exclude",
                    Some("e.g. court NOT basketball, or court -basketball"),
                ));
            }
            let inner = self.unary(scope, ctx)?;
            self.depth -= 1;
            let span = Span {
                start: head.span.start,
                end: inner.span().end,
            };
            return Ok(Node::Not(Box::new(inner), span));
        }
        self.near(scope, ctx)
    }

    fn near(&mut self, scope: Scope, ctx: Option<Context>) -> Result<Node, QueryError> {
        let mut left = self.primary(scope, ctx)?;
        while let Some(Lexed {
            tok: Tok::Near { distance, ordered },
            span,
        }) = self.peek().cloned()
        {
            self.pos += 1;
            if matches!(ctx, Some(Context::Keyword(_))) {
                return Err(error(span, "NEAR works on text, not on field values", None));
            }
            if matches!(
                self.peek().map(|t| &t.tok),
                None | Some(Tok::Close | Tok::Or | Tok::And)
            ) {
                return Err(error(
                    span,
                    "NEAR needs something on its right",
                    Some("e.g. khan NEAR/5 corrupt*"),
                ));
            }
            let right = self.primary(scope, ctx)?;
            check_near_operand(&left)?;
            check_near_operand(&right)?;
            let whole = Span {
                start: left.span().start,
                end: right.span().end,
            };
            left = Node::Near {
                left: Box::new(left),
                right: Box::new(right),
                distance,
                ordered,
                span: whole,
            };
        }
        Ok(left)
    }

    fn primary(&mut self, scope: Scope, ctx: Option<Context>) -> Result<Node, QueryError> {
        let Some(Lexed { tok, span }) = self.next() else {
            return Err(error(self.end_span(), "something is missing here", None));
        };
        match tok {
            Tok::Open => {
                self.enter(span)?;
                if matches!(self.peek().map(|t| &t.tok), Some(Tok::Close)) {
                    return Err(error(span, "empty parentheses", None));
                }
                let inner = self.or(scope, ctx)?;
                self.depth -= 1;
                let close = match self.next() {
                    Some(Lexed {
                        tok: Tok::Close,
                        span: close,
                    }) => close,
                    _ => {
                        return Err(error(
                            span,
                            "this parenthesis is never closed",
                            Some("add the matching )"),
                        ));
                    }
                };
                // Brandwatch's group proximity `(a b c)~5`: the words within 5 of each other.
                let distance = match self.peek() {
                    Some(Lexed {
                        tok: Tok::Word(w),
                        span: next,
                    }) if next.start == close.end && w.starts_with('~') => {
                        let w = w.clone();
                        let next = *next;
                        self.next();
                        Some((w, next))
                    }
                    _ => None,
                };
                match distance {
                    None => Ok(enclose(
                        inner,
                        Span {
                            start: span.start,
                            end: close.end,
                        },
                    )),
                    Some((w, next)) => group_proximity(
                        inner,
                        &w[1..],
                        Span {
                            start: span.start,
                            end: next.end,
                        },
                    ),
                }
            }
            Tok::Close => Err(error(span, "nothing opened this parenthesis", None)),
            Tok::And | Tok::Or | Tok::Not | Tok::Minus => Err(error(
                span,
                "an operator cannot start a clause here",
                Some("put words between operators, e.g. court AND hacked"),
            )),
            Tok::Near { .. } => Err(error(
                span,
                "NEAR needs something on its left",
                Some("e.g. khan NEAR/5 corrupt*"),
            )),
            Tok::Field(name) => {
                if ctx.is_some() {
                    return Err(error(
                        span,
                        "a field cannot be used inside another field",
                        None,
                    ));
                }
                let Some(target) = field_named(&name) else {
                    return Err(error(span, format!("unknown field {name}:"), None));
                };
                let (inner_scope, inner_ctx) = match target {
                    FieldTarget::Scope(s) => (s, Context::Scope(s)),
                    FieldTarget::Keyword(k) => (scope, Context::Keyword(k)),
                    FieldTarget::Raw => (scope, Context::Raw),
                };
                self.enter(span)?;
                let node = self.primary(inner_scope, Some(inner_ctx))?;
                self.depth -= 1;
                Ok(widen(node, span.start))
            }
            Tok::Phrase { text, slop } => {
                self.leaf(span, 1)?;
                self.phrase(text, slop, span, Self::ctx_scope(ctx, scope))
            }
            Tok::Word(word) => {
                self.leaf(span, 1)?;
                self.word(word, span, Self::ctx_scope(ctx, scope))
            }
        }
    }

    fn phrase(
        &mut self,
        text: String,
        slop: Option<u32>,
        span: Span,
        ctx: Context,
    ) -> Result<Node, QueryError> {
        if text.trim().is_empty() {
            return Err(error(span, "empty phrase", None));
        }
        match ctx {
            Context::Raw => {
                if slop.is_some() {
                    return Err(error(span, "raw: matches exactly; it takes no ~", None));
                }
                Ok(Node::Raw(text, span))
            }
            Context::Keyword(keyword) => {
                if slop.is_some() {
                    return Err(error(span, "a field value takes no ~", None));
                }
                Ok(Node::Value(keyword, Pattern::Exact(text), span))
            }
            Context::Scope(scope) => {
                let mut words = Vec::new();
                for word in text.split_whitespace() {
                    words.push(pattern(word, span)?);
                }
                if words.iter().any(|w| matches!(w, Pattern::Fuzzy(..))) {
                    return Err(error(
                        span,
                        "fuzzy words (~) cannot be inside a phrase",
                        None,
                    ));
                }
                Ok(Node::Phrase {
                    scope,
                    words,
                    slop: slop.unwrap_or(0),
                    span,
                })
            }
        }
    }

    fn word(&mut self, word: String, span: Span, ctx: Context) -> Result<Node, QueryError> {
        match ctx {
            Context::Raw => Ok(Node::Raw(word, span)),
            Context::Keyword(keyword) => {
                let value = pattern(&word, span)?;
                if matches!(value, Pattern::Fuzzy(..)) {
                    return Err(error(span, "field values cannot be fuzzy", None));
                }
                Ok(Node::Value(keyword, value, span))
            }
            Context::Scope(Scope::Text) if word == "*" => Ok(Node::All(span)),
            Context::Scope(scope) => {
                if let Some(tag) = word.strip_prefix('#').filter(|t| !t.is_empty()) {
                    return Ok(Node::Value(Keyword::Hashtag, pattern(tag, span)?, span));
                }
                if let Some(handle) = word.strip_prefix('@').filter(|t| !t.is_empty()) {
                    return Ok(Node::Value(Keyword::Mention, pattern(handle, span)?, span));
                }
                if let Some(name) = word.strip_prefix('$') {
                    let Some(list) = self.lists.get(name) else {
                        let known = self.lists.names().join(", ");
                        return Err(error(
                            span,
                            format!("unknown list ${name}"),
                            Some(&if known.is_empty() {
                                "no lists are loaded; lists live in queries/lists/<name>.toml"
                                    .to_string()
                            } else {
                                format!("lists: {known} (files in queries/lists/)")
                            }),
                        ));
                    };
                    let spellings = list.spellings();
                    self.leaf(span, spellings.len())?;
                    return Ok(Node::List {
                        name: name.to_string(),
                        scope,
                        spellings,
                        span,
                    });
                }
                // Talkwalker's `cyberattack~`: the word, or written in two ("cyber attack",
                // "cyber-attack").
                if let Some(stem) = word.strip_suffix('~')
                    && !stem.is_empty()
                    && stem.chars().all(char::is_alphabetic)
                {
                    let chars: Vec<char> = stem.chars().collect();
                    let mut alternatives =
                        vec![Node::Word(scope, Pattern::Exact(stem.to_string()), span)];
                    for cut in 3..chars.len().saturating_sub(2) {
                        alternatives.push(Node::Phrase {
                            scope,
                            words: vec![
                                Pattern::Exact(chars[..cut].iter().collect()),
                                Pattern::Exact(chars[cut..].iter().collect()),
                            ],
                            slop: 0,
                            span,
                        });
                    }
                    self.leaf(span, alternatives.len())?;
                    return Ok(if alternatives.len() == 1 {
                        alternatives.remove(0)
                    } else {
                        Node::Or(alternatives, span)
                    });
                }
                Ok(Node::Word(scope, pattern(&word, span)?, span))
            }
        }
    }
}

/// `(a b c)~n`: the words within `n` words of each other, in any order (a stretch of text with
/// every part and at most `n` other words). Only a group of words and phrases joined by AND
/// has that meaning.
fn group_proximity(inner: Node, digits: &str, span: Span) -> Result<Node, QueryError> {
    let distance = digits
        .parse::<u32>()
        .ok()
        .filter(|d| *d <= MAX_DISTANCE)
        .ok_or_else(|| {
            error(
                span,
                format!("a group's ~ needs a number of words up to {MAX_DISTANCE}"),
                Some("(hacked files court)~5: the words within 5 words of each other"),
            )
        })?;
    let parts = match inner {
        Node::And(parts, _) => parts,
        other => vec![other],
    };
    let leaf = |n: &Node| {
        matches!(
            n,
            Node::Word(..) | Node::Phrase { .. } | Node::Or(..) | Node::List { .. }
        )
    };
    if parts.len() < 2 || !parts.iter().all(leaf) {
        return Err(error(
            span,
            "group proximity (Brandwatch's (…)~n) takes two or more words or phrases",
            Some("e.g. (leaked files court)~5; for other shapes use NEAR/5 between them"),
        ));
    }
    Ok(Node::Window {
        parts,
        slop: distance,
        span,
    })
}

/// A word → plain, wildcard or fuzzy, checking the wildcard prefix and fuzzy distance.
fn pattern(word: &str, span: Span) -> Result<Pattern, QueryError> {
    if let Some((stem, distance)) = word.rsplit_once('~') {
        if stem.is_empty() {
            return Ok(Pattern::Exact(word.to_string()));
        }
        let distance = if distance.is_empty() {
            return Err(error(
                span,
                "word~ (a compound, as Talkwalker reads it) is for free text; a fuzzy word needs its edits",
                Some("e.g. prosecuter~1"),
            ));
        } else {
            match distance.parse::<u8>() {
                Ok(d @ 1..=2) => d,
                _ => {
                    return Err(error(
                        span,
                        "a fuzzy word allows 1 or 2 edits",
                        Some("e.g. prosecuter~1"),
                    ));
                }
            }
        };
        if stem.contains(['*', '?']) {
            return Err(error(
                span,
                "a word cannot be both fuzzy and a wildcard",
                None,
            ));
        }
        return Ok(Pattern::Fuzzy(stem.to_string(), distance));
    }
    if let Some(first) = word.find(['*', '?']) {
        let letters = word[..first].chars().count();
        if letters == 0 {
            return Err(error(
                span,
                "a leading wildcard (*word, as Brandwatch and Talkwalker allow) would read every word of the index",
                Some(
                    "write the word's start (corrupt*), or list the forms: (corruption OR anticorruption)",
                ),
            ));
        }
        if letters < MIN_WILDCARD_PREFIX {
            return Err(error(
                span,
                format!("a wildcard needs at least {MIN_WILDCARD_PREFIX} letters before it"),
                Some("e.g. corrupt* or wom?n; a short prefix would match too many words"),
            ));
        }
        return Ok(Pattern::Wildcard(word.to_string()));
    }
    Ok(Pattern::Exact(word.to_string()))
}

fn check_near_operand(node: &Node) -> Result<(), QueryError> {
    match node {
        Node::Word(..) | Node::Phrase { .. } | Node::List { .. } => Ok(()),
        Node::Near { .. } | Node::Window { .. } => Ok(()),
        Node::Or(items, _) => items.iter().try_for_each(check_near_operand),
        Node::All(span) | Node::And(_, span) | Node::Not(_, span) => Err(error(
            *span,
            "NEAR joins words, phrases and OR groups",
            Some("move AND and NOT outside the NEAR"),
        )),
        Node::Raw(_, span) | Node::Value(_, _, span) => Err(error(
            *span,
            "NEAR joins words, phrases and OR groups, not field values",
            None,
        )),
    }
}

/// Stretches a clause's span to start at its field prefix.
fn widen(node: Node, start: usize) -> Node {
    respan(node, |s| Span { start, end: s.end })
}

/// A parenthesised group's clause, its span stretched over the parentheses (so explain and
/// errors show the group as written).
fn enclose(node: Node, outer: Span) -> Node {
    respan(node, |s| Span {
        start: s.start.min(outer.start),
        end: s.end.max(outer.end),
    })
}

fn respan(node: Node, set: impl Fn(Span) -> Span) -> Node {
    match node {
        Node::All(s) => Node::All(set(s)),
        Node::And(c, s) => Node::And(c, set(s)),
        Node::Or(c, s) => Node::Or(c, set(s)),
        Node::Not(c, s) => Node::Not(c, set(s)),
        Node::Word(a, b, s) => Node::Word(a, b, set(s)),
        Node::Raw(a, s) => Node::Raw(a, set(s)),
        Node::Value(a, b, s) => Node::Value(a, b, set(s)),
        Node::Phrase {
            scope,
            words,
            slop,
            span,
        } => Node::Phrase {
            scope,
            words,
            slop,
            span: set(span),
        },
        Node::Near {
            left,
            right,
            distance,
            ordered,
            span,
        } => Node::Near {
            left,
            right,
            distance,
            ordered,
            span: set(span),
        },
        Node::List {
            name,
            scope,
            spellings,
            span,
        } => Node::List {
            name,
            scope,
            spellings,
            span: set(span),
        },
        Node::Window { parts, slop, span } => Node::Window {
            parts,
            slop,
            span: set(span),
        },
    }
}

fn join(mut items: Vec<Node>, make: fn(Vec<Node>, Span) -> Node) -> Node {
    if items.len() == 1 {
        return items.remove(0);
    }
    let span = Span {
        start: items.first().map_or(0, |n| n.span().start),
        end: items.last().map_or(0, |n| n.span().end),
    };
    make(items, span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists() -> Lists {
        Lists::from_toml(
            "officials",
            r#"
[[entry]]
name = "Karim Khan"
role = "Prosecutor"
latin = ["Karim Khan", "Karim A. A. Khan"]
cyrillic = ["Карим Хан"]
"#,
        )
        .unwrap_or_default()
    }

    /// A compact rendering of the tree, to compare in tables.
    fn show(node: &Node) -> String {
        let words = |ws: &[Pattern]| {
            ws.iter()
                .map(|w| w.text().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        match node {
            Node::All(_) => "*".to_string(),
            Node::And(c, _) => {
                format!("(and {})", c.iter().map(show).collect::<Vec<_>>().join(" "))
            }
            Node::Or(c, _) => format!("(or {})", c.iter().map(show).collect::<Vec<_>>().join(" ")),
            Node::Not(c, _) => format!("(not {})", show(c)),
            Node::Word(scope, p, _) => match (scope, p) {
                (Scope::Text, Pattern::Exact(w)) => w.clone(),
                (s, Pattern::Exact(w)) => format!("{s:?}:{w}").to_lowercase(),
                (s, Pattern::Wildcard(w)) => format!("{s:?}:wild:{w}").to_lowercase(),
                (s, Pattern::Fuzzy(w, d)) => format!("{s:?}:fuzzy{d}:{w}").to_lowercase(),
            },
            Node::Phrase {
                scope,
                words: ws,
                slop,
                ..
            } => format!("{scope:?}\"{}\"~{slop}", words(ws)).to_lowercase(),
            Node::Raw(t, _) => format!("raw\"{t}\""),
            Node::Value(k, p, _) => format!("{k:?}={}", p.text()).to_lowercase(),
            Node::Near {
                left,
                right,
                distance,
                ordered,
                ..
            } => format!(
                "({}near{distance} {} {})",
                if *ordered { "o" } else { "" },
                show(left),
                show(right)
            ),
            Node::List {
                name, spellings, ..
            } => format!("${name}[{}]", spellings.len()),
            Node::Window { parts, slop, .. } => format!(
                "(group{slop} {})",
                parts.iter().map(show).collect::<Vec<_>>().join(" ")
            ),
        }
    }

    #[test]
    fn parses_each_operator() {
        let cases = [
            ("court hacked", "(and court hacked)"),
            ("court AND hacked", "(and court hacked)"),
            ("court and hacked", "(and court hacked)"),
            ("khan OR prosecutor", "(or khan prosecutor)"),
            ("a OR b c", "(or a (and b c))"),
            ("(a OR b) c", "(and (or a b) c)"),
            ("court NOT basketball", "(and court (not basketball))"),
            ("court -basketball", "(and court (not basketball))"),
            ("pro-Russian", "pro-Russian"),
            ("\"hacked files\"", "text\"hacked files\"~0"),
            ("\"hacked files\"~3", "text\"hacked files\"~3"),
            ("khan NEAR/5 corrupt*", "(near5 khan text:wild:corrupt*)"),
            ("khan onear/2 bribe", "(onear2 khan bribe)"),
            (
                "(khan OR prosecutor) NEAR/5 (corrupt* OR bribe*)",
                "(near5 (or khan prosecutor) (or text:wild:corrupt* text:wild:bribe*))",
            ),
            ("wom?n", "text:wild:wom?n"),
            ("prosecuter~1", "text:fuzzy1:prosecuter"),
            (
                "cyberattack~",
                "(or cyberattack text\"cyb erattack\"~0 text\"cybe rattack\"~0 text\"cyber attack\"~0 text\"cybera ttack\"~0 text\"cyberat tack\"~0 text\"cyberatt ack\"~0)",
            ),
            ("\u{201c}hacked files\u{201d}", "text\"hacked files\"~0"),
            (
                "\u{201e}gehackte Dateien\u{201c}",
                "text\"gehackte dateien\"~0",
            ),
            (
                "\u{ab} fichiers piratés \u{bb}",
                "text\"fichiers piratés\"~0",
            ),
            ("l\u{2019}ICC", "l'ICC"),
            ("{ICC}", "raw\"ICC\""),
            ("+court +hacked", "(and court hacked)"),
            ("khan NEAR corrupt", "(near4 khan corrupt)"),
            ("khan NEAR/3f corrupt", "(onear3 khan corrupt)"),
            ("(hacked files court)~5", "(group5 hacked files court)"),
            ("title:warrant", "title:warrant"),
            (
                "title:(warrant OR mandat)",
                "(or title:warrant title:mandat)",
            ),
            ("title:\"arrest warrant\"", "title\"arrest warrant\"~0"),
            ("site:example.org", "site=example.org"),
            ("lang:(fr OR ru)", "(or lang=fr lang=ru)"),
            ("#ICC @khan", "(and hashtag=icc mention=khan)"),
            (
                "hashtag:icc mention:court",
                "(and hashtag=icc mention=court)",
            ),
            ("links:example.org/a", "links=example.org/a"),
            (
                "source:gdelt-icc kind:mastodon",
                "(and source=gdelt-icc kind=mastodon)",
            ),
            ("url:https://example.org/*", "url=https://example.org/*"),
            ("raw:\"ICC\"", "raw\"ICC\""),
            ("$officials", "$officials[3]"),
            ("court <<<the organ>>> hacked", "(and court hacked)"),
            ("NOT lang:en", "(not lang=en)"),
            ("* lang:fr", "(and * lang=fr)"),
        ];
        for (query, expected) in cases {
            match parse(query, &lists()) {
                Ok(node) => assert_eq!(show(&node), expected, "{query}"),
                Err(e) => panic!("{query}: {}", e.render(query)),
            }
        }
    }

    #[test]
    fn errors_point_at_the_problem_with_a_hint() {
        let cases = [
            (
                "khan ONEAR corrupt",
                5,
                "ONEAR needs a distance, e.g. ONEAR/5",
            ),
            ("court^9", 5, "^9 is a relevance boost (Meltwater, Lucene)"),
            (
                "(court OR tribunal)~5",
                0,
                "group proximity (Brandwatch's (…)~n)",
            ),
            ("(a b)~x", 0, "a group's ~ needs a number"),
            ("{ICC", 0, "brace is never closed"),
            ("court +\"ICC\"", 6, "Talkwalker's exact (raw) search"),
            ("court - hacked", 6, "a minus sign must touch the word"),
            ("*corrupt", 0, "a leading wildcard"),
            ("site:word~", 5, "a fuzzy word needs its edits"),
            ("court AND (hacked", 10, "never closed"),
            ("court)", 5, "nothing opened"),
            ("\"hacked files", 0, "quote is never closed"),
            ("co* court", 0, "at least 3 letters"),
            ("court OR", 6, "OR needs something"),
            ("AND court", 0, "AND needs something"),
            ("colour:red", 0, "unknown field colour:"),
            ("$ministers", 0, "unknown list $ministers"),
            ("(a AND b) NEAR/3 c", 0, "NEAR joins words"),
            ("khan NEAR/500 x", 5, "at most 100"),
            ("court <<<unfinished", 6, "comment is never closed"),
            ("word~7", 0, "1 or 2 edits"),
            ("lang:", 0, "needs a value"),
            ("", 0, "empty"),
        ];
        for (query, column, message) in cases {
            let Err(e) = parse(query, &lists()) else {
                panic!("{query} parsed")
            };
            let rendered = e.render(query);
            assert!(rendered.contains(message), "{query}: {rendered}");
            if let Some((start, _)) = e.at {
                assert_eq!(start, column, "{query}: {rendered}");
            }
        }
        let e = parse("khan NEAR/x corrupt", &lists()).err();
        let rendered = e
            .map(|e| e.render("khan NEAR/x corrupt"))
            .unwrap_or_default();
        assert!(
            rendered.contains("  khan NEAR/x corrupt\n       ^^^^^^"),
            "{rendered}"
        );
    }

    #[test]
    fn a_group_holds_within_its_window_in_any_order() {
        use crate::query::spans::window_spans;
        // Positions of a, b, c: one stretch with each, counting the other words in it.
        let cases: &[(&[&[(u32, u32)]], u32, usize)] = &[
            (&[&[(0, 0)], &[(2, 2)], &[(4, 4)]], 2, 1),
            (&[&[(0, 0)], &[(2, 2)], &[(4, 4)]], 1, 0),
            (&[&[(4, 4)], &[(2, 2)], &[(0, 0)]], 2, 1),
            // a … b far apart, but a second a close to b and c.
            (&[&[(0, 0), (20, 20)], &[(21, 21)], &[(23, 23)]], 1, 1),
            // A chain that NEAR/5 twice would accept: a, 5 words, b, 5 words, c.
            (&[&[(0, 0)], &[(6, 6)], &[(12, 12)]], 5, 0),
        ];
        for (lists, slop, found) in cases {
            let lists: Vec<Vec<(u32, u32)>> = lists.iter().map(|l| l.to_vec()).collect();
            assert_eq!(
                window_spans(&lists, *slop).len(),
                *found,
                "{lists:?} ~{slop}"
            );
        }
    }

    #[test]
    fn lower_case_operators_are_noted() {
        assert_eq!(reading_notes("cour OR tribunal").len(), 0);
        let notes = reading_notes("cour or tribunal and or");
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].starts_with("lower-case \"or\" is read as the operator OR"));
        assert!(reading_notes("\"or\" cour").is_empty());
    }

    #[test]
    fn hostile_queries_are_bounded() {
        let deep = format!("{}a{}", "(".repeat(500), ")".repeat(500));
        assert!(parse(&deep, &lists()).is_err());
        let nots = format!("{}a", "NOT ".repeat(500));
        assert!(parse(&nots, &lists()).is_err());
        let wide = vec!["w"; MAX_CLAUSES + 1].join(" OR ");
        assert!(parse(&wide, &lists()).is_err());
        for odd in [
            "\u{0}", "((((", "))))", "\"\"", "-", "~", "*", "a:b:c", "NEAR/", ":::",
        ] {
            let _ = parse(odd, &lists());
        }
    }
}
