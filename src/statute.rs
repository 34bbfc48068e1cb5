//! The Rome Statute, bundled from `frameworks/rome-statute/` into the binary. In: nothing at run
//! time; out: articles by number, for the rebuttal anchors stored queries cite.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const STATUTE: &str = include_str!("../frameworks/rome-statute/RomeStatute.json");

/// One article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// As the Statute numbers it: "58", "8 bis".
    pub number: String,
    pub name: String,
    pub text: String,
}

#[derive(Deserialize)]
struct Entry {
    article: Option<RawArticle>,
}

#[derive(Deserialize)]
struct RawArticle {
    number: String,
    name: String,
    text: String,
}

fn articles() -> &'static BTreeMap<String, Article> {
    static ARTICLES: OnceLock<BTreeMap<String, Article>> = OnceLock::new();
    ARTICLES.get_or_init(|| {
        // Compiled in and checked by a test; an unreadable file would only mean no articles.
        let entries: Vec<Entry> = serde_json::from_str(STATUTE).unwrap_or_default();
        entries
            .into_iter()
            .filter_map(|e| e.article)
            .map(|a| {
                let key = a.number.trim().to_lowercase();
                (
                    key,
                    Article {
                        number: a.number.trim().to_string(),
                        name: a.name,
                        text: a.text,
                    },
                )
            })
            .collect()
    })
}

/// An article by its number ("58", "8 bis"; case and spacing as written in the Statute).
pub fn article(number: &str) -> Option<&'static Article> {
    articles().get(&number.trim().to_lowercase())
}

/// Where the court publishes the Statute, for links beside a cited article.
pub const SOURCE_URL: &str = "https://www.icc-cpi.int/sites/default/files/RS-Eng.pdf";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_articles_rebuttals_cite_are_there() {
        assert!(articles().len() >= 128, "{}", articles().len());
        let cases = [
            ("12", "Preconditions to the exercise of jurisdiction"),
            ("27", "Irrelevance of official capacity"),
            (
                "58",
                "Issuance by the Pre-Trial Chamber of a warrant of arrest or a summons to appear",
            ),
            ("86", "General obligation to cooperate"),
        ];
        for (number, name) in cases {
            assert_eq!(
                article(number).map(|a| a.name.as_str()),
                Some(name),
                "{number}"
            );
        }
        assert!(article("999").is_none());
    }
}
