//! The JSON API (everything the pages show: search and its facets, documents, narratives,
//! stored queries and their backtests, sources, digests), CSV export and `/metrics`. Described
//! in `docs/openapi.json`, which the tests check against these responses.

use super::error::WebError;
use super::pages::{PreviewParams, SinceParams, narratives_since, preview};
use super::search::{self, SearchParams};
use super::{AppState, Client, json_error};
use crate::auth::Principal;
use axum::Extension;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};

/// Rows a CSV export holds at most.
const EXPORT_ROWS: usize = 1_000;

/// Runs `f` on a blocking thread and answers its value as JSON, or its error with the status
/// the error names (4xx for the caller's mistakes, 500 for Vigil's own, logged).
async fn json<T, F>(f: F) -> Response
where
    T: Serialize + Send + 'static,
    F: FnOnce() -> Result<T, WebError> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(value)) => Json(value).into_response(),
        Ok(Err(error)) => json_error(error.status(), &error.public_message()),
        Err(join) => {
            tracing::error!(error = %join, "api handler failed");
            json_error(StatusCode::INTERNAL_SERVER_ERROR, "the request failed")
        }
    }
}

/// `json`, for the requests whose cost follows what the user typed: through the gate, under
/// the request budget.
async fn json_budgeted<T, F>(state: &AppState, f: F) -> Response
where
    T: Serialize + Send + 'static,
    F: FnOnce() -> Result<T, WebError> + Send + 'static,
{
    match state.gate.run(f).await.and_then(|r| r) {
        Ok(value) => Json(value).into_response(),
        Err(error) => json_error(error.status(), &error.public_message()),
    }
}

fn bad(message: String) -> WebError {
    WebError::BadRequest(message)
}

pub async fn search(State(state): State<AppState>, Query(params): Query<SearchParams>) -> Response {
    let gate = state.clone();
    json_budgeted(&gate, move || {
        search::run(&state.read, &params, search::MAX_LIMIT)
    })
    .await
}

pub async fn search_stats(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> Response {
    let gate = state.clone();
    json_budgeted(&gate, move || search::stats(&state.read, &params)).await
}

pub async fn document(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    json(move || {
        state
            .read
            .reader
            .docs_by_id(std::slice::from_ref(&id))?
            .into_iter()
            .next()
            .ok_or_else(|| WebError::NotFound(format!("no document {id:?}")))
    })
    .await
}

pub async fn narratives(
    State(state): State<AppState>,
    Query(params): Query<SinceParams>,
) -> Response {
    json(move || narratives_since(&state, params.since.as_deref())).await
}

pub async fn narrative(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    json(move || {
        state
            .read
            .narrative(&id, Utc::now())?
            .ok_or_else(|| WebError::NotFound(format!("no narrative {id:?}")))
    })
    .await
}

/// `/api/narratives/{id}/stix`: the narrative as a STIX 2.1 bundle for partners (audited, as
/// every export is).
pub async fn narrative_stix(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Extension(Client(address)): Extension<Client>,
    Path(id): Path<String>,
) -> Response {
    let result = tokio::task::spawn_blocking(move || {
        let bundle = crate::stix::export_one(&state.read, &id, Utc::now())?
            .ok_or_else(|| WebError::NotFound(format!("no narrative {id:?}")))?;
        let _ = state.store.audit(
            &principal.user,
            "export",
            &format!("stix, narrative {id}"),
            &address,
        );
        Ok::<_, WebError>((id, bundle))
    })
    .await
    .map_err(|join| WebError::internal("the STIX export", join))
    .and_then(|r| r);
    match result {
        Ok((id, bundle)) => {
            let mut response = Json(bundle).into_response();
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/stix+json;version=2.1"),
            );
            // The id is a narrative id that exists (letters and digits), so it is safe in a
            // header; anything else falls back to a fixed name.
            let name = format!("attachment; filename=\"vigil-{id}.stix.json\"");
            h.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&name).unwrap_or(HeaderValue::from_static(
                    "attachment; filename=\"vigil-narrative.stix.json\"",
                )),
            );
            response
        }
        Err(error) => json_error(error.status(), &error.public_message()),
    }
}

/// A stored query as the API lists it.
#[derive(Debug, Serialize)]
pub struct QueryInfo {
    pub id: String,
    pub title: String,
    pub description: String,
    pub query: String,
    pub severity: crate::types::Severity,
    pub owner: Option<String>,
    pub languages: Vec<String>,
    pub disarm: Vec<String>,
    pub examples: usize,
    /// Matches in the last 7 days.
    pub matches_7d: usize,
}

pub async fn queries(State(state): State<AppState>) -> Response {
    json(move || {
        let now = Utc::now();
        let mut out = Vec::new();
        for q in state.read.queries().iter() {
            out.push(QueryInfo {
                id: q.id.clone(),
                title: q.title.clone(),
                description: q.description.clone(),
                query: q.query_text.clone(),
                severity: q.severity,
                owner: q.owner.clone(),
                languages: q.languages.clone(),
                disarm: q.disarm.clone(),
                examples: q.examples.len(),
                matches_7d: state.read.store.count_matches_between(
                    &q.id,
                    now - chrono::Duration::days(7),
                    now,
                )?,
            });
        }
        Ok(out)
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct BacktestParams {
    #[serde(default)]
    since: Option<String>,
    /// Query text to try instead of the stored one.
    #[serde(default)]
    q: Option<String>,
}

pub async fn backtest(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<BacktestParams>,
) -> Response {
    let gate = state.clone();
    json_budgeted(&gate, move || {
        let read = &state.read;
        let current = read.queries();
        let stored = current
            .iter()
            .find(|q| q.id == id)
            .ok_or_else(|| WebError::NotFound(format!("no stored query {id:?}")))?;
        let text = params.q.as_deref().unwrap_or(&stored.query_text);
        let compiled = crate::query::stored::compile_stored(
            read.reader.index(),
            text,
            &read.lists,
            &stored.languages,
        )
        .map_err(|e| bad(e.render(text)))?;
        let now = Utc::now();
        let since = search::backtest_since(params.since.as_deref(), now)?;
        Ok(crate::query::tune::backtest(
            &read.reader,
            &compiled,
            since,
            now,
        )?)
    })
    .await
}

pub async fn sources(State(state): State<AppState>) -> Response {
    json(move || {
        Ok(crate::health::source_statuses(
            &state.config,
            &state.read,
            Utc::now(),
        )?)
    })
    .await
}

pub async fn digests(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Response {
    json(move || {
        Ok(state
            .read
            .store
            .outbox_without(200, super::hidden_origin(&principal))?)
    })
    .await
}

pub async fn digest_preview(
    State(state): State<AppState>,
    Query(params): Query<PreviewParams>,
) -> Response {
    json(move || preview(&state, params.schedule.as_deref())).await
}

pub async fn metrics() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::global().render(),
    )
        .into_response()
}

/// A CSV field: quoted, quotes doubled, and a leading `=`, `+`, `-`, `@`, tab or carriage
/// return defused with an apostrophe, so a spreadsheet never runs crawled text as a formula.
pub fn csv_field(text: &str) -> String {
    let defused = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    format!("\"{}\"", defused.replace('"', "\"\""))
}

pub async fn export_csv(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Extension(Client(address)): Extension<Client>,
    Query(mut params): Query<SearchParams>,
) -> Response {
    params.limit = Some(params.limit.unwrap_or(EXPORT_ROWS).min(EXPORT_ROWS));
    let gate = state.gate.clone();
    let result = gate
        .run(move || {
            let results = search::run(&state.read, &params, EXPORT_ROWS)?;
            let _ = state.store.audit(
                &principal.user,
                "export",
                &format!("csv, {} rows: {}", results.hits.len(), params.q),
                &address,
            );
            let mut out = String::from("published,source,kind,lang,title,url,snippet\r\n");
            for hit in &results.hits {
                let row = [
                    hit.published.to_rfc3339(),
                    hit.source.clone(),
                    hit.kind.clone(),
                    hit.lang.clone(),
                    hit.title.text.clone(),
                    hit.url.clone(),
                    hit.snippet.text.clone(),
                ];
                out.push_str(
                    &row.iter()
                        .map(|f| csv_field(f))
                        .collect::<Vec<_>>()
                        .join(","),
                );
                out.push_str("\r\n");
            }
            Ok::<_, WebError>(out)
        })
        .await;
    match result.and_then(|r| r) {
        Ok(csv) => {
            let mut response = csv.into_response();
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            h.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"vigil-search.csv\""),
            );
            response
        }
        Err(error) => json_error(error.status(), &error.public_message()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        let cases = [
            ("plain", "\"plain\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            (
                "=HYPERLINK(\"http://x\")",
                "\"'=HYPERLINK(\"\"http://x\"\")\"",
            ),
            ("+1", "\"'+1\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("line\nbreak", "\"line\nbreak\""),
        ];
        for (input, expected) in cases {
            assert_eq!(csv_field(input), expected, "{input}");
        }
    }
}
