//! What a query may cost, decided before it runs. Some shapes of query make the search engine's
//! work grow without a useful bound whatever the deadline: a phrase with slop whose words repeat
//! (`"the the the … the"~100` enumerates every way the repeats can be placed), a long phrase
//! with a wide slop, and hundreds of wildcard or fuzzy words (each is compiled to an automaton
//! and expanded against every dictionary). These are refused with a message that says why and
//! what to write instead. The same rules apply to searches, backtests and stored queries (at
//! load and at save), so no stored query can stall percolation.
//!
//! In: a parsed query tree; out: `Ok` or a `QueryError` pointing at the clause.

use super::QueryError;
use super::syntax::{Node, Pattern, Span};

/// Most words in a phrase that allows extra words between them (`"…"~n`).
pub const MAX_SLOPPY_WORDS: usize = 8;
/// A phrase's slop times its gaps (words − 1) at most: `"a b"~100`, `"a b c"~50` or
/// `"a b c d e f g h"~14`.
pub const MAX_SLOP_BUDGET: u32 = 100;
/// Most wildcard and fuzzy words in one query (after lists are expanded).
pub const MAX_PATTERNS: usize = 32;

fn refuse(span: Span, message: String, hint: &str) -> QueryError {
    QueryError {
        message,
        at: Some((span.start, span.end)),
        hint: Some(hint.to_string()),
    }
}

/// Checks the cost rules over the whole tree.
pub fn check(node: &Node) -> Result<(), QueryError> {
    let mut patterns = 0usize;
    walk(node, &mut patterns)
}

fn walk(node: &Node, patterns: &mut usize) -> Result<(), QueryError> {
    match node {
        Node::Word(_, pattern, span) | Node::Value(_, pattern, span) => {
            count_pattern(pattern, *span, patterns)?
        }
        Node::Phrase {
            words, slop, span, ..
        } => {
            for word in words {
                count_pattern(word, *span, patterns)?;
            }
            phrase(words.iter().map(Pattern::text), *slop, *span)?;
        }
        _ => {}
    }
    for child in node.children() {
        walk(child, patterns)?;
    }
    Ok(())
}

fn count_pattern(pattern: &Pattern, span: Span, patterns: &mut usize) -> Result<(), QueryError> {
    if matches!(pattern, Pattern::Exact(_)) {
        return Ok(());
    }
    *patterns += 1;
    if *patterns > MAX_PATTERNS {
        return Err(refuse(
            span,
            format!(
                "the query has more than {MAX_PATTERNS} wildcard or fuzzy words; each is expanded against the whole index, so their cost cannot be bounded"
            ),
            "spell the words out, put them in a $list, or split the query",
        ));
    }
    Ok(())
}

/// The rules for one phrase with `slop`, given its words (as written, or as analysed: the
/// compiler checks both, so `"judge judges"~5` is caught after stemming).
pub fn phrase<'a>(
    words: impl Iterator<Item = &'a str>,
    slop: u32,
    span: Span,
) -> Result<(), QueryError> {
    if slop == 0 {
        return Ok(());
    }
    let words: Vec<String> = words.map(str::to_lowercase).collect();
    if let Some(word) = words
        .iter()
        .enumerate()
        .find(|(i, w)| words[..*i].contains(w))
        .map(|(_, w)| w)
    {
        return Err(refuse(
            span,
            format!(
                "{word:?} is repeated in a phrase with extra words allowed (~{slop}): every way of placing the repeats is tried, so its cost cannot be bounded"
            ),
            "remove the repeated word, drop the ~, or use NEAR/n between distinct words",
        ));
    }
    if words.len() > MAX_SLOPPY_WORDS {
        return Err(refuse(
            span,
            format!(
                "a phrase with extra words allowed (~{slop}) has at most {MAX_SLOPPY_WORDS} words; this one has {}",
                words.len()
            ),
            "drop the ~, shorten the phrase, or join shorter phrases with NEAR/n",
        ));
    }
    let gaps = words.len().saturating_sub(1) as u32;
    if slop.saturating_mul(gaps) > MAX_SLOP_BUDGET {
        return Err(refuse(
            span,
            format!(
                "a phrase of {} words allows at most ~{} extra words (slop × gaps ≤ {MAX_SLOP_BUDGET})",
                words.len(),
                MAX_SLOP_BUDGET / gaps.max(1)
            ),
            "lower the ~, or join shorter phrases with NEAR/n",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::lists::Lists;

    #[test]
    fn costly_shapes_are_refused_with_the_reason() {
        let many_wildcards = (0..MAX_PATTERNS + 1)
            .map(|i| format!("abc{i}*"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let enough_wildcards = (0..MAX_PATTERNS)
            .map(|i| format!("abc{i}*"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let cases: &[(&str, Option<&str>)] = &[
            (
                "\"the the the the the the the the the the\"~100",
                Some("\"the\" is repeated"),
            ),
            ("\"The court the\"~2", Some("\"the\" is repeated")),
            ("court AND \"the the\"~1", Some("is repeated")),
            ("\"the the the\"", None),
            ("\"a b c d e f g h i\"~1", Some("at most 8 words")),
            ("\"a b c d e f g h\"~14", None),
            ("\"a b c d e f g h\"~15", Some("at most ~14 extra words")),
            ("\"hacked files\"~100", None),
            ("\"a b c\"~51", Some("at most ~50 extra words")),
            ("\"abc* bcd* c\"~3", None),
            (
                &many_wildcards,
                Some("more than 32 wildcard or fuzzy words"),
            ),
            (&enough_wildcards, None),
            ("court~1 judge~2 hashtag:abc*", None),
        ];
        for (text, expected) in cases {
            let tree = crate::query::syntax::parse(text, &Lists::default()).unwrap();
            match (check(&tree), expected) {
                (Ok(()), None) => {}
                (Err(e), Some(part)) => {
                    assert!(e.message.contains(part), "{text}: {}", e.message);
                    assert!(e.hint.is_some() && e.at.is_some(), "{text}");
                }
                (outcome, _) => panic!("{text}: {outcome:?}"),
            }
        }
    }
}
