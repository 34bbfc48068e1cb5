//! Syntax tree → tantivy query. In: a `Node` from `syntax`, the index (its schema and
//! analyzers) and the languages to stem for; out: a `Box<dyn Query>`.
//!
//! Free text searches the title and body (lowercased, accents folded) and each language's
//! stemmed field, every word analysed by that field's own analyzer, so `warrants` finds
//! `warrant` in English documents and `mandats` finds `mandat` in French ones. Wildcards and
//! fuzzy words match word forms as written (folded), not stems. Field values (`site:`,
//! `lang:`, `#tag` …) are matched exactly after the same normalisation the indexer applies.

use super::QueryError;
use super::eval::{Eval, EvalQuery};
use super::spans::{Leaf, SpanNode, SpanQuery, SurfaceQuery};
use super::syntax::{Keyword, Node, Pattern, Scope, Span};
use crate::index::schema::{Fields, TEXT_ANALYZER};
use tantivy::Index;
use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, EmptyQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, RegexQuery,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;

/// The kinds documents can have, for `kind:`.
pub const KINDS: &[&str] = &[
    "news", "mastodon", "bluesky", "reddit", "telegram", "youtube",
];

/// Compiles trees against one index.
pub struct Compiler {
    fields: Fields,
    /// Title, body and author share `TEXT_ANALYZER`.
    folded: TextAnalyzer,
    /// The stemmed fields searched, with their analyzers.
    stemmed: Vec<(Field, TextAnalyzer)>,
}

fn fail(span: Span, message: impl Into<String>, hint: Option<&str>) -> QueryError {
    QueryError {
        message: message.into(),
        at: Some((span.start, span.end)),
        hint: hint.map(str::to_string),
    }
}

fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Escapes regular-expression syntax.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~\"<>@".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Language names as vendors' queries write them (Brandwatch `language:french`, Talkwalker
/// `lang:english`), in English, French and Russian, as ISO 639-1 codes.
fn language_named(name: &str) -> Option<&'static str> {
    const NAMES: &[(&str, &[&str])] = &[
        ("en", &["english", "anglais", "английский"]),
        ("fr", &["french", "français", "francais", "французский"]),
        ("ru", &["russian", "russe", "русский"]),
        ("ar", &["arabic", "arabe", "арабский"]),
        ("es", &["spanish", "espagnol", "español", "испанский"]),
        ("de", &["german", "allemand", "deutsch", "немецкий"]),
        ("it", &["italian", "italien", "итальянский"]),
        ("pt", &["portuguese", "portugais", "португальский"]),
        ("nl", &["dutch", "néerlandais", "нидерландский"]),
        ("uk", &["ukrainian", "ukrainien", "украинский"]),
        ("zh", &["chinese", "chinois", "китайский"]),
        ("tr", &["turkish", "turc", "турецкий"]),
        ("fa", &["persian", "farsi", "persan", "персидский"]),
        ("sw", &["swahili", "суахили"]),
        ("pl", &["polish", "polonais", "польский"]),
    ];
    NAMES
        .iter()
        .find(|(_, names)| names.contains(&name))
        .map(|(code, _)| *code)
}

/// A language as `lang:` reads it: a name (`french`, `français`) or a code (`fr`, `fr-BE`).
pub fn language_code(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    language_named(&lower)
        .map(str::to_string)
        .or_else(|| crate::normalise::language_from_tag(&lower))
}

/// A wildcard pattern as a regex, each literal run passed through `fold`.
fn wildcard_regex(
    pattern: &str,
    mut fold: impl FnMut(&str) -> Result<String, ()>,
) -> Result<String, ()> {
    let mut regex = String::new();
    let mut run = String::new();
    for c in pattern.chars().chain(std::iter::once('\0')) {
        if matches!(c, '*' | '?' | '\0') {
            if !run.is_empty() {
                regex.push_str(&regex_escape(&fold(&run)?));
                run.clear();
            }
            match c {
                '*' => regex.push_str(".*"),
                '?' => regex.push('.'),
                _ => {}
            }
        } else {
            run.push(c);
        }
    }
    Ok(regex)
}

fn boolean(clauses: Vec<(Occur, Box<dyn Query>)>) -> Box<dyn Query> {
    let mut clauses = clauses;
    if clauses.len() == 1 && clauses[0].0 != Occur::MustNot {
        return clauses.remove(0).1;
    }
    if clauses.is_empty() {
        return Box::new(EmptyQuery);
    }
    Box::new(BooleanQuery::new(clauses))
}

fn any_of(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    boolean(queries.into_iter().map(|q| (Occur::Should, q)).collect())
}

impl Compiler {
    /// A compiler stemming for `languages` (ISO codes), or for every language when empty.
    pub fn new(index: &Index, languages: &[String]) -> Compiler {
        let fields = Fields::new(&index.schema());
        let tokenizers = index.tokenizers();
        let analyzer = |name: &str| tokenizers.get(name).unwrap_or_default();
        let stemmed = fields
            .stemmed
            .iter()
            .filter(|(code, _)| languages.is_empty() || languages.iter().any(|l| l == code))
            .map(|(code, field)| {
                (
                    *field,
                    analyzer(&crate::index::schema::stem_field_name(code)),
                )
            })
            .collect();
        Compiler {
            fields,
            folded: analyzer(TEXT_ANALYZER),
            stemmed,
        }
    }

    /// The tree as a tantivy query.
    pub fn compile(&mut self, node: &Node) -> Result<Box<dyn Query>, QueryError> {
        match node {
            Node::All(_) => Ok(Box::new(AllQuery)),
            Node::And(items, _) => {
                let mut clauses = Vec::new();
                for item in items {
                    match item {
                        Node::Not(inner, _) => clauses.push((Occur::MustNot, self.compile(inner)?)),
                        _ => clauses.push((Occur::Must, self.compile(item)?)),
                    }
                }
                if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Ok(boolean(clauses))
            }
            Node::Or(items, _) => {
                let mut clauses = Vec::new();
                for item in items {
                    clauses.push(self.compile(item)?);
                }
                Ok(any_of(clauses))
            }
            Node::Not(inner, _) => Ok(boolean(vec![
                (Occur::Must, Box::new(AllQuery)),
                (Occur::MustNot, self.compile(inner)?),
            ])),
            Node::Word(scope, pattern, span) => self.word(*scope, pattern, *span),
            Node::Phrase {
                scope,
                words,
                slop,
                span,
            } => self.phrase(*scope, words, *slop, *span),
            Node::List {
                scope,
                spellings,
                span,
                ..
            } => {
                // Names match as written (folded), in the scope's unstemmed fields: stemming
                // a name only adds noise, and lists carry inflected spellings where needed.
                let mut clauses = Vec::new();
                for (field, stemmed) in self.text_fields(*scope) {
                    if stemmed {
                        continue;
                    }
                    for spelling in spellings {
                        let words = [Pattern::Exact(spelling.clone())];
                        if let Some(query) = self.exact(field, &words, 0, None)? {
                            clauses.push(query);
                        }
                    }
                }
                if clauses.is_empty() {
                    return Err(fail(*span, "this list has nothing searchable", None));
                }
                Ok(any_of(clauses))
            }
            Node::Raw(text, span) => {
                let words: Vec<Pattern> = text
                    .split_whitespace()
                    .map(|w| Pattern::Exact(w.to_string()))
                    .collect();
                let fields = vec![self.fields.title, self.fields.body];
                let mut folded = Vec::new();
                for field in &fields {
                    if let Some(q) = self.exact(*field, &words, 0, None)? {
                        folded.push(q);
                    }
                }
                if folded.is_empty() {
                    return Err(fail(
                        *span,
                        "raw: needs letters or digits to look for",
                        None,
                    ));
                }
                Ok(Box::new(SurfaceQuery::new(any_of(folded), text, fields)))
            }
            Node::Value(keyword, pattern, span) => self.value(*keyword, pattern, *span),
            Node::Near { span, .. } | Node::Window { span, .. } => {
                let scope = near_scope(node).ok_or_else(|| {
                    fail(
                        *span,
                        "both sides of NEAR must look in the same field",
                        Some("e.g. title:(khan NEAR/3 corrupt*)"),
                    )
                })?;
                let mut clauses = Vec::new();
                for (field, stemmed) in self.text_fields(scope) {
                    if let Some(tree) = self.span_tree(field, stemmed, node, *span)? {
                        clauses.push((field, tree));
                    }
                }
                if clauses.is_empty() {
                    return Ok(Box::new(EmptyQuery));
                }
                Ok(Box::new(SpanQuery::new(clauses)))
            }
        }
    }

    /// The text fields a scope covers, each flagged when it is a stemmed field.
    /// The forms-by-stem leaf of one word (see `spans::Stemmed`), or `None` when the word is
    /// not one token or its forms would share fewer than 3 letters.
    fn stemmed_leaf(&mut self, word: &str) -> Option<Leaf> {
        let folded = match analyze(&mut self.folded, word).as_slice() {
            [one] => one.clone(),
            _ => return None,
        };
        let mut stems = Vec::new();
        let mut prefix = folded.clone();
        for (_, analyzer) in &mut self.stemmed {
            let [stem] = analyze(analyzer, word).try_into().ok()?;
            let common: String = folded
                .chars()
                .zip(stem.chars())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect();
            if common.chars().count() < prefix.chars().count() {
                prefix = common;
            }
            stems.push((analyzer.clone(), stem));
        }
        (prefix.chars().count() >= 3 && !stems.is_empty()).then(|| {
            Leaf::Stemmed(std::sync::Arc::new(crate::query::spans::Stemmed {
                prefix,
                stems,
            }))
        })
    }

    fn text_fields(&self, scope: Scope) -> Vec<(Field, bool)> {
        match scope {
            Scope::Text => {
                let mut out = vec![(self.fields.title, false), (self.fields.body, false)];
                out.extend(self.stemmed.iter().map(|(f, _)| (*f, true)));
                out
            }
            Scope::Title => vec![(self.fields.title, false)],
            Scope::Body => vec![(self.fields.body, false)],
            Scope::Author => vec![(self.fields.author, false)],
        }
    }

    fn analyzer(&mut self, field: Field) -> &mut TextAnalyzer {
        match self.stemmed.iter().position(|(f, _)| *f == field) {
            Some(i) => &mut self.stemmed[i].1,
            None => &mut self.folded,
        }
    }

    /// One word folded like the index folds it; errors when it is not one word.
    fn fold_one(&mut self, text: &str, span: Span) -> Result<String, QueryError> {
        let tokens = analyze(&mut self.folded, text);
        match tokens.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(fail(span, "nothing searchable here", None)),
            _ => Err(fail(
                span,
                "a wildcard or fuzzy word must be a single word",
                Some("e.g. corrupt* or prosecuter~1"),
            )),
        }
    }

    fn word(
        &mut self,
        scope: Scope,
        pattern: &Pattern,
        span: Span,
    ) -> Result<Box<dyn Query>, QueryError> {
        match pattern {
            Pattern::Exact(word) if matches!(scope, Scope::Title | Scope::Body) => {
                let exact = self
                    .phrase(scope, &[pattern.clone()], 0, span)
                    .map_err(|_| {
                        fail(
                            span,
                            format!("{word:?} has no letters or digits to search for"),
                            Some("quote punctuation you mean literally, or remove it"),
                        )
                    })?;
                // `title:judge` finds "judges" as plain `judge` does: the word's forms in the
                // field, by stem, beside the exact word (which keeps its relevance score).
                Ok(match self.stemmed_leaf(word) {
                    Some(leaf) => {
                        let field = match scope {
                            Scope::Title => self.fields.title,
                            _ => self.fields.body,
                        };
                        any_of(vec![
                            exact,
                            Box::new(SpanQuery::new(vec![(field, SpanNode::Leaf(leaf))])),
                        ])
                    }
                    None => exact,
                })
            }
            Pattern::Exact(word) => {
                let query = self.phrase(scope, &[pattern.clone()], 0, span);
                query.map_err(|_| {
                    fail(
                        span,
                        format!("{word:?} has no letters or digits to search for"),
                        Some("quote punctuation you mean literally, or remove it"),
                    )
                })
            }
            Pattern::Wildcard(text) => {
                let regex = self.wildcard(text, span)?;
                let mut clauses: Vec<Box<dyn Query>> = Vec::new();
                for (field, stemmed) in self.text_fields(scope) {
                    if !stemmed {
                        let query = RegexQuery::from_pattern(&regex, field)
                            .map_err(|e| fail(span, e.to_string(), None))?;
                        clauses.push(Box::new(query));
                    }
                }
                Ok(any_of(clauses))
            }
            Pattern::Fuzzy(text, distance) => {
                let folded = self.fold_one(text, span)?;
                let clauses = self
                    .text_fields(scope)
                    .into_iter()
                    .filter(|(_, stemmed)| !stemmed)
                    .map(|(field, _)| {
                        Box::new(FuzzyTermQuery::new(
                            Term::from_field_text(field, &folded),
                            *distance,
                            true,
                        )) as Box<dyn Query>
                    })
                    .collect();
                Ok(any_of(clauses))
            }
        }
    }

    fn wildcard(&mut self, text: &str, span: Span) -> Result<String, QueryError> {
        let mut error = None;
        let regex = wildcard_regex(text, |run| {
            self.fold_one(run, span).map_err(|e| {
                error = Some(e);
            })
        });
        match (regex, error) {
            (Ok(regex), _) => Ok(regex),
            (Err(()), Some(e)) => Err(e),
            (Err(()), None) => Err(fail(span, "invalid wildcard", None)),
        }
    }

    /// A phrase (or single word) in every field of the scope. Words with wildcards make it a
    /// span query; otherwise tantivy's phrase query (in order, `slop` extra words in total).
    fn phrase(
        &mut self,
        scope: Scope,
        words: &[Pattern],
        slop: u32,
        span: Span,
    ) -> Result<Box<dyn Query>, QueryError> {
        let mut clauses: Vec<Box<dyn Query>> = Vec::new();
        if words.iter().any(|w| !matches!(w, Pattern::Exact(_))) {
            let node = Node::Phrase {
                scope,
                words: words.to_vec(),
                slop,
                span,
            };
            let mut span_clauses = Vec::new();
            for (field, stemmed) in self.text_fields(scope) {
                if let Some(tree) = self.span_tree(field, stemmed, &node, span)? {
                    span_clauses.push((field, tree));
                }
            }
            if span_clauses.is_empty() {
                return Err(fail(span, "nothing searchable in this phrase", None));
            }
            return Ok(Box::new(SpanQuery::new(span_clauses)));
        }
        let mut seen: Vec<(Field, Vec<String>)> = Vec::new();
        for (field, _) in self.text_fields(scope) {
            let text = words
                .iter()
                .map(Pattern::text)
                .collect::<Vec<_>>()
                .join(" ");
            let tokens = analyze(self.analyzer(field), &text);
            if tokens.is_empty() || seen.iter().any(|(f, t)| *f == field && *t == tokens) {
                continue;
            }
            // Words that differ as written may be one term once stemmed ("judge judges").
            super::cost::phrase(tokens.iter().map(String::as_str), slop, span)?;
            if let Some(query) = self.exact(field, words, slop, Some(tokens.clone()))? {
                clauses.push(query);
            }
            seen.push((field, tokens));
        }
        if clauses.is_empty() {
            return Err(fail(span, "nothing searchable here", None));
        }
        Ok(any_of(clauses))
    }

    /// A term or phrase query for plain words in one field.
    fn exact(
        &mut self,
        field: Field,
        words: &[Pattern],
        slop: u32,
        tokens: Option<Vec<String>>,
    ) -> Result<Option<Box<dyn Query>>, QueryError> {
        let tokens = match tokens {
            Some(t) => t,
            None => {
                let text = words
                    .iter()
                    .map(Pattern::text)
                    .collect::<Vec<_>>()
                    .join(" ");
                analyze(self.analyzer(field), &text)
            }
        };
        Ok(match tokens.len() {
            0 => None,
            1 => Some(Box::new(TermQuery::new(
                Term::from_field_text(field, &tokens[0]),
                IndexRecordOption::WithFreqs,
            ))),
            _ => {
                let terms = tokens
                    .iter()
                    .map(|t| Term::from_field_text(field, t))
                    .collect();
                let mut query = PhraseQuery::new(terms);
                query.set_slop(slop);
                Some(Box::new(query))
            }
        })
    }

    /// The span tree of a NEAR operand in one field; `None` when it cannot match there.
    fn span_tree(
        &mut self,
        field: Field,
        stemmed: bool,
        node: &Node,
        span: Span,
    ) -> Result<Option<SpanNode>, QueryError> {
        Ok(match node {
            Node::Word(_, pattern, span) => self.span_word(field, stemmed, pattern, *span)?,
            Node::Phrase {
                words, slop, span, ..
            } => {
                let mut parts = Vec::new();
                for word in words {
                    match self.span_word(field, stemmed, word, *span)? {
                        Some(SpanNode::Phrase { parts: inner, .. }) => parts.extend(inner),
                        Some(part) => parts.push(part),
                        None => return Ok(None),
                    }
                }
                Some(phrase_node(parts, *slop))
            }
            Node::List { .. } if stemmed => None,
            Node::List { spellings, .. } => {
                let mut parts = Vec::new();
                for spelling in spellings {
                    let tokens = analyze(self.analyzer(field), spelling);
                    if !tokens.is_empty() {
                        let leaves = tokens
                            .into_iter()
                            .map(|t| SpanNode::Leaf(Leaf::Term(t)))
                            .collect();
                        parts.push(phrase_node(leaves, 0));
                    }
                }
                (!parts.is_empty()).then_some(SpanNode::Or(parts))
            }
            Node::Or(items, _) => {
                let mut parts = Vec::new();
                for item in items {
                    if let Some(part) = self.span_tree(field, stemmed, item, span)? {
                        parts.push(part);
                    }
                }
                match parts.len() {
                    0 => None,
                    1 => parts.pop(),
                    _ => Some(SpanNode::Or(parts)),
                }
            }
            Node::Near {
                left,
                right,
                distance,
                ordered,
                ..
            } => {
                let (Some(l), Some(r)) = (
                    self.span_tree(field, stemmed, left, span)?,
                    self.span_tree(field, stemmed, right, span)?,
                ) else {
                    return Ok(None);
                };
                Some(SpanNode::Near {
                    left: Box::new(l),
                    right: Box::new(r),
                    distance: *distance,
                    ordered: *ordered,
                })
            }
            Node::Window { parts, slop, .. } => {
                let mut trees = Vec::with_capacity(parts.len());
                for part in parts {
                    match self.span_tree(field, stemmed, part, span)? {
                        Some(tree) => trees.push(tree),
                        None => return Ok(None),
                    }
                }
                Some(SpanNode::Window {
                    parts: trees,
                    slop: *slop,
                })
            }
            other => {
                return Err(fail(
                    other.span(),
                    "NEAR joins words, phrases and OR groups",
                    None,
                ));
            }
        })
    }

    fn span_word(
        &mut self,
        field: Field,
        stemmed: bool,
        pattern: &Pattern,
        span: Span,
    ) -> Result<Option<SpanNode>, QueryError> {
        Ok(match pattern {
            Pattern::Exact(word) => {
                let tokens = analyze(self.analyzer(field), word);
                match tokens.len() {
                    0 => None,
                    1 => Some(SpanNode::Leaf(Leaf::Term(tokens[0].clone()))),
                    _ => Some(phrase_node(
                        tokens
                            .into_iter()
                            .map(|t| SpanNode::Leaf(Leaf::Term(t)))
                            .collect(),
                        0,
                    )),
                }
            }
            Pattern::Wildcard(_) | Pattern::Fuzzy(..) if stemmed => None,
            Pattern::Wildcard(text) => {
                let regex = self.wildcard(text, span)?;
                let leaf = Leaf::regex(&regex).map_err(|e| fail(span, e, None))?;
                Some(SpanNode::Leaf(leaf))
            }
            Pattern::Fuzzy(text, distance) => {
                let folded = self.fold_one(text, span)?;
                Some(SpanNode::Leaf(Leaf::fuzzy(&folded, *distance)))
            }
        })
    }

    fn value(
        &mut self,
        keyword: Keyword,
        pattern: &Pattern,
        span: Span,
    ) -> Result<Box<dyn Query>, QueryError> {
        let f = self.fields;
        let raw = pattern.text().trim();
        let wildcard = matches!(pattern, Pattern::Wildcard(_));
        let (field, values): (Field, Vec<String>) = match keyword {
            Keyword::Source => (f.source, vec![raw.to_string()]),
            Keyword::Site => (f.site, vec![domain_of(raw)]),
            Keyword::Lang => {
                let lower = raw.to_lowercase();
                let code = if wildcard {
                    lower
                } else if let Some(code) = language_named(&lower) {
                    code.to_string()
                } else if let Some(code) = crate::normalise::language_from_tag(&lower) {
                    code
                } else {
                    return Err(fail(
                        span,
                        format!("unknown language {raw:?}"),
                        Some(
                            "use a code (lang:fr) or an English, French or Russian name (lang:french)",
                        ),
                    ));
                };
                (f.lang, vec![code])
            }
            Keyword::Hashtag => (f.hashtag, vec![raw.trim_start_matches('#').to_lowercase()]),
            Keyword::Mention => (f.mention, vec![raw.trim_start_matches('@').to_lowercase()]),
            Keyword::Kind => {
                let lower = raw.to_lowercase();
                let kind = match lower.as_str() {
                    "feed" | "rss" | "atom" | "article" | "web" | "html" | "gdelt" => "news".into(),
                    _ => lower,
                };
                if !wildcard && !KINDS.contains(&kind.as_str()) {
                    return Err(fail(
                        span,
                        format!("unknown kind {raw:?}"),
                        Some(&format!("kinds are {}", KINDS.join(", "))),
                    ));
                }
                (f.kind, vec![kind])
            }
            Keyword::Url if !raw.contains("://") => {
                // Brandwatch's `url:site.example/news`: a section of a site, every address
                // under it, over http or https, with or without `www.`.
                let section = raw.trim_start_matches("www.");
                let regex = format!(
                    "https?://(www\\.)?{}.*",
                    wildcard_regex(section, |run| Ok(run.to_string()))
                        .map_err(|()| fail(span, "invalid wildcard", None))?
                        .trim_end_matches(".*")
                );
                return Ok(Box::new(
                    RegexQuery::from_pattern(&regex, f.url)
                        .map_err(|e| fail(span, e.to_string(), None))?,
                ));
            }
            Keyword::Url => {
                let mut values = vec![raw.to_string()];
                if !wildcard
                    && let Some(canonical) = crate::normalise::canonical_url(raw)
                    && canonical != raw
                {
                    values.push(canonical);
                }
                (f.url, values)
            }
            Keyword::Links => {
                if raw.contains('/') {
                    let mut values = vec![raw.to_string()];
                    let with_scheme = if raw.contains("://") {
                        raw.to_string()
                    } else {
                        format!("https://{raw}")
                    };
                    if !wildcard
                        && let Some(canonical) = crate::normalise::canonical_url(&with_scheme)
                        && !values.contains(&canonical)
                    {
                        values.push(canonical);
                    }
                    (f.link, values)
                } else {
                    (f.link_domain, vec![domain_of(raw)])
                }
            }
        };
        if values.iter().all(|v| v.is_empty()) {
            return Err(fail(span, "this field value is empty", None));
        }
        let clauses = values
            .into_iter()
            .map(|value| -> Result<Box<dyn Query>, QueryError> {
                if wildcard {
                    let regex = wildcard_regex(&value, |run| Ok(run.to_string()))
                        .map_err(|()| fail(span, "invalid wildcard", None))?;
                    Ok(Box::new(
                        RegexQuery::from_pattern(&regex, field)
                            .map_err(|e| fail(span, e.to_string(), None))?,
                    ))
                } else {
                    Ok(Box::new(TermQuery::new(
                        Term::from_field_text(field, &value),
                        IndexRecordOption::Basic,
                    )))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(any_of(clauses))
    }
}

/// Terms (field, analysed text) at least one of which every matching document holds.
pub type Anchors = Vec<(Field, String)>;

impl Compiler {
    /// The anchors of a clause: a set of terms such that any document it matches holds at
    /// least one of them. `None` when no such set is known (wildcards, fuzzy words, pure
    /// exclusions, `*`): the percolator then always runs the query. Used to skip stored queries
    /// whose anchors are absent from a new batch, as a percolator's presearcher does.
    pub fn anchors(&mut self, node: &Node) -> Option<Anchors> {
        match node {
            Node::All(_) | Node::Not(..) => None,
            // Every part of a group must be there: any part's anchors will do (the fewest).
            Node::Window { parts, .. } => parts
                .iter()
                .filter_map(|p| self.anchors(p))
                .min_by_key(Vec::len),
            // A title or body word also matches its other forms (by stem): no one term is
            // certain, so such a query always runs.
            Node::Word(Scope::Title | Scope::Body, ..) => None,
            Node::Word(scope, Pattern::Exact(word), _) => {
                self.text_anchors(*scope, &[word.clone()])
            }
            Node::Word(..) => None,
            Node::Phrase { scope, words, .. } => {
                // Any one plain word of the phrase must be there.
                let plain: Vec<&Pattern> = words
                    .iter()
                    .filter(|w| matches!(w, Pattern::Exact(_)))
                    .collect();
                let best = plain
                    .iter()
                    .max_by_key(|w| w.text().chars().count())
                    .map(|w| w.text().to_string())?;
                self.text_anchors(*scope, &[best])
            }
            Node::Raw(text, _) => {
                let word = text.split_whitespace().max_by_key(|w| w.chars().count())?;
                let token = analyze(&mut self.folded, word)
                    .into_iter()
                    .max_by_key(String::len)?;
                Some(vec![
                    (self.fields.title, token.clone()),
                    (self.fields.body, token),
                ])
            }
            Node::List {
                scope, spellings, ..
            } => {
                let mut out = Vec::new();
                for (field, stemmed) in self.text_fields(*scope) {
                    if stemmed {
                        continue;
                    }
                    for spelling in spellings {
                        let token = analyze(&mut self.folded, spelling)
                            .into_iter()
                            .max_by_key(String::len)?;
                        out.push((field, token));
                    }
                }
                Some(out)
            }
            Node::Value(keyword, Pattern::Exact(_), span) => {
                // The compiled value query is a term (or an OR of terms) on one field.
                let query = self
                    .value(*keyword, &Pattern::Exact(node_value(node)), *span)
                    .ok()?;
                let mut out = Vec::new();
                query.query_terms(&mut |term, _| {
                    if let Some(text) = term.value().as_str() {
                        out.push((term.field(), text.to_string()));
                    }
                });
                (!out.is_empty()).then_some(out)
            }
            Node::Value(..) => None,
            Node::Or(items, _) => {
                let mut out = Vec::new();
                for item in items {
                    out.extend(self.anchors(item)?);
                }
                Some(out)
            }
            Node::And(items, _) => items
                .iter()
                .filter(|i| !matches!(i, Node::Not(..)))
                .filter_map(|i| self.anchors(i))
                .min_by_key(Vec::len),
            Node::Near { left, right, .. } => match (self.anchors(left), self.anchors(right)) {
                (Some(l), Some(r)) => Some(if l.len() <= r.len() { l } else { r }),
                (one, other) => one.or(other),
            },
        }
    }

    /// Each field's analysed form of a word (its longest token), in every field of the scope.
    fn text_anchors(&mut self, scope: Scope, words: &[String]) -> Option<Anchors> {
        let mut out = Vec::new();
        for (field, _) in self.text_fields(scope) {
            for word in words {
                if let Some(token) = analyze(self.analyzer(field), word)
                    .into_iter()
                    .max_by_key(String::len)
                {
                    out.push((field, token));
                }
            }
        }
        (!out.is_empty()).then_some(out)
    }
}

fn node_value(node: &Node) -> String {
    match node {
        Node::Value(_, pattern, _) => pattern.text().to_string(),
        _ => String::new(),
    }
}

impl Compiler {
    /// A wildcard or fuzzy word as a span leaf over the folded fields (for highlighting).
    pub fn pattern_leaf(&mut self, pattern: &Pattern) -> Option<Leaf> {
        let span = Span { start: 0, end: 0 };
        match pattern {
            Pattern::Exact(_) => None,
            Pattern::Wildcard(text) => Leaf::regex(&self.wildcard(text, span).ok()?).ok(),
            Pattern::Fuzzy(text, distance) => {
                Some(Leaf::fuzzy(&self.fold_one(text, span).ok()?, *distance))
            }
        }
    }
}

fn phrase_node(mut parts: Vec<SpanNode>, slop: u32) -> SpanNode {
    if parts.len() == 1 {
        return parts.remove(0);
    }
    SpanNode::Phrase { parts, slop }
}

/// The single text scope of a NEAR's operands, if they agree.
fn near_scope(node: &Node) -> Option<Scope> {
    let mut scopes = Vec::new();
    fn walk(node: &Node, out: &mut Vec<Scope>) {
        match node {
            Node::Word(s, ..) => out.push(*s),
            Node::Phrase { scope, .. } | Node::List { scope, .. } => out.push(*scope),
            _ => node.children().into_iter().for_each(|c| walk(c, out)),
        }
    }
    walk(node, &mut scopes);
    let first = *scopes.first()?;
    scopes.iter().all(|s| *s == first).then_some(first)
}

impl Compiler {
    /// The tree as an unscored query (see `eval`): the same documents as `compile`, found
    /// with less work per clause, every match scoring 1. For stored queries.
    pub fn compile_unscored(&mut self, node: &Node) -> Result<Box<dyn Query>, QueryError> {
        Ok(Box::new(EvalQuery::new(self.eval(node)?)))
    }

    fn eval(&mut self, node: &Node) -> Result<Eval, QueryError> {
        Ok(match node {
            Node::All(_) => Eval::All,
            Node::And(items, _) => {
                let (mut must, mut not) = (Vec::new(), Vec::new());
                for item in items {
                    match item {
                        Node::Not(inner, _) => not.push(self.eval(inner)?),
                        _ => must.push(self.eval(item)?),
                    }
                }
                Eval::And { must, not }
            }
            Node::Not(inner, _) => Eval::And {
                must: Vec::new(),
                not: vec![self.eval(inner)?],
            },
            Node::Or(items, _) => {
                let mut terms = Vec::new();
                let mut others = Vec::new();
                for item in items {
                    match self.eval(item)? {
                        Eval::Terms(t) => terms.extend(t.iter().cloned()),
                        Eval::Or(inner) => {
                            for e in inner {
                                match e {
                                    Eval::Terms(t) => terms.extend(t.iter().cloned()),
                                    other => others.push(other),
                                }
                            }
                        }
                        other => others.push(other),
                    }
                }
                if !terms.is_empty() {
                    others.insert(0, Eval::terms(terms));
                }
                if others.len() == 1 {
                    others.remove(0)
                } else {
                    Eval::Or(others)
                }
            }
            // A title or body word with its forms by stem: as scored search compiles it.
            Node::Word(Scope::Title | Scope::Body, Pattern::Exact(_), _) => {
                Eval::Query(self.compile(node)?)
            }
            Node::Word(scope, Pattern::Exact(word), span) => {
                self.eval_words(*scope, &[Pattern::Exact(word.clone())], *span)?
            }
            Node::Phrase {
                scope,
                words,
                slop: 0,
                span,
            } if words.iter().all(|w| matches!(w, Pattern::Exact(_))) => {
                self.eval_words(*scope, words, *span)?
            }
            Node::List {
                scope,
                spellings,
                span,
                ..
            } => {
                let mut terms = Vec::new();
                let mut evals = Vec::new();
                for (field, stemmed) in self.text_fields(*scope) {
                    if stemmed {
                        continue;
                    }
                    for spelling in spellings {
                        let tokens = analyze(&mut self.folded, spelling);
                        match tokens.len() {
                            0 => {}
                            1 => terms.push(Term::from_field_text(field, &tokens[0])),
                            _ => {
                                let words = [Pattern::Exact(spelling.clone())];
                                let terms: Vec<Term> = tokens
                                    .iter()
                                    .map(|t| Term::from_field_text(field, t))
                                    .collect();
                                if let Some(q) = self.exact(field, &words, 0, Some(tokens))? {
                                    evals.push(Eval::Phrase(terms.into(), q));
                                }
                            }
                        }
                    }
                }
                if terms.is_empty() && evals.is_empty() {
                    return Err(fail(*span, "this list has nothing searchable", None));
                }
                if !terms.is_empty() {
                    evals.insert(0, Eval::terms(terms));
                }
                Eval::Or(evals)
            }
            other => Eval::Query(self.compile(other)?),
        })
    }
}

impl Compiler {
    /// Plain words (one, or a phrase) in every field of the scope: single-token forms as one
    /// term set, multi-token forms as phrase queries.
    fn eval_words(
        &mut self,
        scope: Scope,
        words: &[Pattern],
        span: Span,
    ) -> Result<Eval, QueryError> {
        let text = words
            .iter()
            .map(Pattern::text)
            .collect::<Vec<_>>()
            .join(" ");
        let mut evals = Vec::new();
        let mut terms = Vec::new();
        for (field, _) in self.text_fields(scope) {
            let tokens = analyze(self.analyzer(field), &text);
            match tokens.len() {
                0 => {}
                1 => terms.push(Term::from_field_text(field, &tokens[0])),
                _ => {
                    let terms: Vec<Term> = tokens
                        .iter()
                        .map(|t| Term::from_field_text(field, t))
                        .collect();
                    if let Some(query) = self.exact(field, words, 0, Some(tokens))? {
                        evals.push(Eval::Phrase(terms.into(), query));
                    }
                }
            }
        }
        if terms.is_empty() && evals.is_empty() {
            return Err(fail(
                span,
                format!("{text:?} has no letters or digits to search for"),
                Some("quote punctuation you mean literally, or remove it"),
            ));
        }
        if !terms.is_empty() {
            evals.insert(0, Eval::terms(terms));
        }
        Ok(if evals.len() == 1 {
            evals.remove(0)
        } else {
            Eval::Or(evals)
        })
    }
}

/// A domain as the indexer stores it: host only, lowercase, without `www.`.
fn domain_of(value: &str) -> String {
    let value = value.trim().to_lowercase();
    let value = value
        .split_once("://")
        .map_or(value.as_str(), |(_, rest)| rest);
    let host = value.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next().unwrap_or_default();
    host.trim_start_matches("www.")
        .trim_end_matches('.')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_become_anchored_regexes() {
        let fold = |run: &str| Ok(run.to_lowercase());
        assert_eq!(
            wildcard_regex("Corrupt*", fold),
            Ok("corrupt.*".to_string())
        );
        assert_eq!(wildcard_regex("wom?n", fold), Ok("wom.n".to_string()));
        assert_eq!(
            wildcard_regex("a.b+c*", fold),
            Ok("a\\.b\\+c.*".to_string())
        );
    }

    #[test]
    fn domains_are_normalised_like_the_indexer() {
        let cases = [
            ("example.org", "example.org"),
            ("WWW.Example.org", "example.org"),
            ("https://news.example.org/a/b?c", "news.example.org"),
            ("user@example.org:8080", "example.org"),
        ];
        for (input, expected) in cases {
            assert_eq!(domain_of(input), expected, "{input}");
        }
    }
}
