//! What differs between source kinds when polling: where a poll starts (a paged API's cursor,
//! a Mastodon profile resolved to its statuses endpoint), the API sessions some platforms need
//! (Bluesky's app-password session), and the older pages a busy channel needs read so nothing
//! between two polls is lost. The parsers themselves live in `parse/`, one file per kind.

use super::{Candidate, parse_and_normalise};
use crate::config::SourceConfig;
use crate::fetch::{FetchError, FetchErrorKind, FetchRequest, Fetcher};
use crate::model::SourceKind;
use crate::store::SourceState;
use crate::types::Secret;
use std::collections::HashMap;
use std::sync::Arc;

/// The URL of a source's first page this poll, and the API endpoint its configured URL was
/// newly resolved to (a Mastodon profile, resolved once and then kept with the source's state).
/// Paged APIs continue from the cursor the state holds, unless the configured URL changed.
pub(super) async fn first_page(
    source: &SourceConfig,
    state: &SourceState,
    fetcher: &Fetcher,
) -> Result<(url::Url, Option<String>), String> {
    let same_url = state.url == source.url.as_str();
    // A Mastodon account given as its profile URL is resolved to its statuses endpoint once;
    // the answer is kept with the source's state.
    let mut mastodon_base = source.url.clone();
    let mut api_url: Option<String> = None;
    if let (SourceKind::Mastodon, Some(lookup)) =
        (source.kind, crate::parse::mastodon::lookup_url(&source.url))
    {
        match state
            .api_url
            .as_deref()
            .filter(|_| same_url)
            .and_then(|u| url::Url::parse(u).ok())
        {
            Some(known) => mastodon_base = known,
            None => {
                let private = source.private_allowed(&lookup);
                let request = FetchRequest::plain(&source.name, lookup, private, false);
                let resolved = match fetcher.fetch(&request).await {
                    Ok(answer) => crate::parse::mastodon::statuses_url(&source.url, &answer.body)
                        .map_err(|message| {
                            format!("source {:?}: {}: {message}", source.name, request.url)
                        }),
                    Err(error) => Err(error.to_string()),
                };
                match resolved {
                    Ok(endpoint) => {
                        api_url = Some(endpoint.to_string());
                        mastodon_base = endpoint;
                    }
                    Err(message) => {
                        return Err(message);
                    }
                }
            }
        }
    }
    let url = match source.kind {
        SourceKind::Feed | SourceKind::Youtube | SourceKind::Telegram | SourceKind::Html => {
            source.url.clone()
        }
        SourceKind::Gdelt => {
            crate::parse::gdelt::page_url(&source.url, state.cursor.as_deref().filter(|_| same_url))
        }
        SourceKind::Bluesky => crate::parse::bluesky::page_url(
            &source.url,
            state.cursor.as_deref().filter(|_| same_url),
        ),
        SourceKind::Reddit => crate::parse::reddit::page_url(
            &source.url,
            state.cursor.as_deref().filter(|_| same_url),
        ),
        SourceKind::Mastodon => crate::parse::mastodon::page_url(
            &mastodon_base,
            state.cursor.as_deref().filter(|_| same_url),
        ),
    };
    Ok((url, api_url))
}

/// Open API sessions by source name: created on first use, dropped after a 401.
pub type Sessions = Arc<tokio::sync::Mutex<HashMap<String, Secret>>>;

/// The access token of a source's session, opening one (createSession with the app password,
/// read only now) when none is open.
pub(super) async fn open_session(
    source: &SourceConfig,
    auth: &crate::config::AppPassword,
    fetcher: &Fetcher,
    sessions: &Sessions,
) -> Result<Secret, String> {
    let mut open = sessions.lock().await;
    if let Some(token) = open.get(&source.name) {
        return Ok(token.clone());
    }
    let named = |message: String| format!("source {:?}: {}: {message}", source.name, auth.service);
    let password = auth.password.read().map_err(named)?;
    let (url, body) =
        crate::parse::bluesky::session_request(&auth.service, &auth.identifier, &password)
            .map_err(named)?;
    let private = source.private_allowed(&url);
    let request = FetchRequest::plain(&source.name, url, private, false);
    let answer = match fetcher.post_json(&request, &body).await {
        Ok(answer) => answer,
        Err(FetchError {
            kind: FetchErrorKind::Status { status: 401, .. },
            url,
            ..
        }) => {
            return Err(format!(
                "source {:?}: {url}: Bluesky refused the app password for {}",
                source.name, auth.identifier
            ));
        }
        Err(error) => return Err(error.to_string()),
    };
    let token = crate::parse::bluesky::session_token(&answer.body)
        .map_err(|m| format!("source {:?}: {}: {m}", source.name, request.url))?;
    open.insert(source.name.clone(), token.clone());
    Ok(token)
}

/// The older page a poll should read next, for the kinds whose newest page can hold less than
/// what arrived since the last poll (Telegram channels, Bluesky searches).
pub(super) fn older_page(
    source: &SourceConfig,
    page_url: &url::Url,
    parsed: &crate::parse::Parsed,
    cursor: Option<&str>,
) -> Option<url::Url> {
    match source.kind {
        SourceKind::Telegram => crate::parse::telegram::older_page(&source.url, parsed, cursor),
        SourceKind::Bluesky => crate::parse::bluesky::older_page(page_url, parsed),
        _ => None,
    }
}

/// Follows older pages while they hold only new items (at most `telegram::MAX_PAGES` pages in
/// all), so a busy hour between two polls loses nothing. A page that fails ends the walk; what
/// was read is kept.
pub(super) async fn read_older_pages(
    source: &SourceConfig,
    mut next: Option<url::Url>,
    cursor: Option<&str>,
    fetcher: &Fetcher,
    outcome: &mut super::SourceOutcome,
) -> Vec<Candidate> {
    let mut candidates = Vec::new();
    let mut pages = 1;
    while let Some(url) = next.take() {
        if pages >= crate::parse::telegram::MAX_PAGES {
            break;
        }
        pages += 1;
        let private = source.private_allowed(&url);
        let request = FetchRequest::plain(&source.name, url, private, !source.api);
        let page = match fetcher.fetch(&request).await {
            Ok(page) => page,
            Err(error) => {
                tracing::warn!(source = %source.name, url = %crate::text::redact_url(request.url.as_str()), error = %error.kind, "older page not fetched");
                break;
            }
        };
        let for_source = source.clone();
        let page = std::sync::Arc::new(page);
        match tokio::task::spawn_blocking(move || parse_and_normalise(&for_source, &page)).await {
            Ok(Ok((parsed, more))) => {
                outcome.items += parsed.items.len();
                next = older_page(source, &request.url, &parsed, cursor);
                candidates.extend(more);
            }
            Ok(Err(error)) => {
                tracing::warn!(source = %source.name, url = %crate::text::redact_url(request.url.as_str()), error = %error.message, "older page not parsed");
                break;
            }
            Err(_) => break,
        }
    }
    candidates
}
