//! Full text: for feed items that carry only a summary, the article page is fetched through the
//! same polite fetcher (robots.txt, the host's budget, the private-address guard), its main text
//! extracted (`parse::article`) and applied to the document (`normalise::apply_article`). A
//! failed page leaves the item with its feed text; it never fails the source.

use super::{Candidate, SourceOutcome};
use crate::config::SourceConfig;
use crate::fetch::{FetchRequest, Fetcher};
use crate::model::{Document, SourceKind};
use std::sync::Arc;

/// Article pages fetched at most per source and pass; the rest wait for the next poll.
const MAX_ARTICLES_PER_PASS: usize = 100;

/// Fetches the article pages of new items that need their full text, through the same polite
/// fetcher (robots.txt, the host's budget, the private-address guard). A failed page leaves the
/// item with its feed text; it never fails the source. Links from a source allowed on private
/// addresses may only reach that source's own host.
pub(super) async fn complete_with_articles(
    source: &SourceConfig,
    candidates: Vec<Candidate>,
    fetcher: &Fetcher,
    known: &super::KnownDocuments,
    outcome: &mut SourceOutcome,
) -> Vec<(Document, Vec<Arc<crate::model::Fetched>>)> {
    use crate::config::FullText;
    if !matches!(
        source.kind,
        SourceKind::Feed | SourceKind::Gdelt | SourceKind::Html
    ) {
        // Posts are whole; their links are shared URLs, not their own article pages.
        return candidates
            .into_iter()
            .map(|c| (c.document, c.fetches))
            .collect();
    }
    let wanted: Vec<usize> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.document.url.is_empty())
        .filter(|(_, c)| match source.full_text {
            FullText::Never => false,
            FullText::Always => true,
            FullText::Auto => c.wants_full_text,
        })
        .map(|(i, _)| i)
        .collect();
    let mut candidates = candidates;
    if !wanted.is_empty() {
        let ids: Vec<String> = wanted
            .iter()
            .map(|i| candidates[*i].document.id.clone())
            .collect();
        let seen = known(ids).await;
        let unseen: Vec<usize> = wanted
            .into_iter()
            .filter(|i| !seen.contains(&candidates[*i].document.id))
            .take(MAX_ARTICLES_PER_PASS)
            .collect();
        for index in unseen {
            let Ok(url) = url::Url::parse(&candidates[index].document.url) else {
                continue;
            };
            // allow_private covers the source's own host and port, nothing else.
            let private = source.private_allowed(&url);
            let request = FetchRequest::plain(&source.name, url, private, true);
            let page = match fetcher.fetch(&request).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::warn!(source = %source.name, url = %crate::text::redact_url(request.url.as_str()), error = %error.kind, "article page not fetched");
                    outcome.article_errors += 1;
                    continue;
                }
            };
            let page = Arc::new(page);
            let for_extract = page.clone();
            let extracted = tokio::task::spawn_blocking(move || {
                crate::parse::article::extract_bytes(
                    &for_extract.body,
                    for_extract.content_type.as_deref(),
                    &for_extract.url,
                )
            })
            .await;
            match extracted {
                Ok(Ok(article)) => {
                    let candidate = &mut candidates[index];
                    candidate.fetches.push(page);
                    crate::normalise::apply_article(
                        &mut candidate.document,
                        article,
                        candidate.declared_language,
                    );
                    outcome.articles += 1;
                }
                Ok(Err(reason)) => {
                    tracing::warn!(source = %source.name, url = %crate::text::redact_url(request.url.as_str()), reason = %reason, "no article text extracted");
                    outcome.article_errors += 1;
                }
                Err(join) => {
                    tracing::error!(source = %source.name, url = %crate::text::redact_url(request.url.as_str()), error = %join, "article extraction crashed");
                    outcome.article_errors += 1;
                }
            }
        }
    }
    candidates
        .into_iter()
        .map(|c| (c.document, c.fetches))
        .collect()
}
