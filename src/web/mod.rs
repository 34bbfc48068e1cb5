//! The web server: a search page and a JSON search API over the read side, plus `/healthz`.
//! Handlers are thin: they parse parameters, run the search on a blocking thread and render.
//! Every piece of crawled text is escaped; links are rendered only for http(s) URLs; responses
//! carry a Content-Security-Policy that allows no script at all.

use crate::index::reader::{SearchFilter, SearchResults, Sort};
use crate::pipeline::ReadSide;
use crate::text::{escape_html, link_domain, linkable};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use std::fmt::Write;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub read: ReadSide,
}

/// The router.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(search_page))
        .route("/api/search", get(search_api))
        .route("/healthz", get(|| async { "ok" }))
        .route("/style.css", get(stylesheet))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        "content-security-policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "referrer-policy", "no-referrer");
    set(headers, "x-frame-options", "DENY");
    response
}

/// Search parameters shared by the page and the API.
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub since: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub sort: Option<Sort>,
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub offset: Option<usize>,
}

/// A request the server refuses, as a JSON or HTML error.
#[derive(Debug)]
pub struct BadRequest(String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": self.0 })),
        )
            .into_response()
    }
}

fn run_search(read: &ReadSide, params: &SearchParams) -> Result<SearchResults, String> {
    let compiled = read
        .compile(&params.q)
        .map_err(|e| format!("invalid query: {}", e.render(&params.q)))?;
    let highlight = compiled.highlight_query(&read.reader);
    let since = match params.since.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(text) => {
            let span = crate::config::parse_duration(text).map_err(|e| format!("since: {e}"))?;
            Some(Utc::now() - chrono::Duration::from_std(span).map_err(|e| format!("since: {e}"))?)
        }
        None => None,
    };
    let filter = SearchFilter {
        since,
        sources: params
            .source
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect(),
        limit: params.limit.unwrap_or(20).min(200),
        offset: params.offset.unwrap_or(0).min(10_000),
        sort: params.sort.unwrap_or_default(),
        ..Default::default()
    };
    read.reader
        .search_highlighting(&*compiled.query, &*highlight, &filter)
        .map_err(|e| e.to_string())
}

async fn search_api(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> Result<Json<SearchResults>, BadRequest> {
    let read = state.read.clone();
    tokio::task::spawn_blocking(move || run_search(&read, &params))
        .await
        .map_err(|e| BadRequest(e.to_string()))?
        .map(Json)
        .map_err(BadRequest)
}

async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE)
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#1a1a1a}
header{display:flex;gap:1rem;align-items:baseline}h1{font-size:1.4rem;margin:0}
form{display:flex;flex-wrap:wrap;gap:.5rem;margin:1rem 0}input[type=search]{flex:1 1 20rem;font-size:1rem;padding:.4rem}
select,button,input{font-size:1rem;padding:.4rem}mark{background:#ffe066}.hit{margin:1.2rem 0}
.meta{color:#555;font-size:.9rem}.error{color:#a00}.flag{border-left:4px solid #c60;padding-left:.8rem;margin:1rem 0}
a{color:#0645ad}@media (max-width:40rem){body{padding:.5rem}}";

async fn search_page(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> Html<String> {
    let read = state.read.clone();
    let page = tokio::task::spawn_blocking(move || render_page(&read, &params)).await;
    Html(page.unwrap_or_else(|e| {
        format!(
            "<!doctype html><p>internal error: {}</p>",
            escape_html(&e.to_string())
        )
    }))
}

fn render_page(read: &ReadSide, params: &SearchParams) -> String {
    let mut out = String::new();
    let q = escape_html(&params.q);
    let since = escape_html(params.since.as_deref().unwrap_or(""));
    let relevance = params.sort == Some(Sort::Relevance);
    let _ = write!(
        out,
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width,initial-scale=1\">\
         <title>Vigil search</title><link rel=stylesheet href=\"/style.css\"></head><body>\
         <header><h1>Vigil</h1><span class=meta>{} documents indexed</span></header>\
         <form method=get action=\"/\" role=search><input type=search name=q value=\"{q}\" placeholder=\"court AND (void OR illegal)\" aria-label=\"query\" autofocus>\
         <input name=since value=\"{since}\" placeholder=\"since, e.g. 7d\" size=14 aria-label=\"since\">\
         <select name=sort aria-label=\"sort\"><option value=newest>newest</option><option value=relevance{}>relevance</option></select>\
         <button type=submit>Search</button></form>",
        read.reader.num_docs(),
        if relevance { " selected" } else { "" }
    );
    if params.q.trim().is_empty() {
        render_flags(read, &mut out);
    } else {
        match run_search(read, params) {
            Err(e) => {
                let _ = write!(out, "<pre class=error>{}</pre>", escape_html(&e));
            }
            Ok(results) => {
                let _ = write!(out, "<p class=meta>{} results</p>", results.total);
                for hit in &results.hits {
                    let title = if hit.title.text.is_empty() {
                        "(untitled)".to_string()
                    } else {
                        hit.title.to_html()
                    };
                    let heading = match linkable(&hit.url) {
                        Some(url) => format!(
                            "<a href=\"{}\" rel=\"noopener noreferrer nofollow\">{title}</a> <span class=meta>{}</span>",
                            escape_html(url),
                            escape_html(&link_domain(url))
                        ),
                        None => title,
                    };
                    let _ = write!(
                        out,
                        "<div class=hit><div>{heading}</div><div class=meta>{} · {} · {}</div><div>{}</div></div>",
                        escape_html(&hit.source),
                        hit.published.format("%Y-%m-%d %H:%M UTC"),
                        escape_html(&hit.lang),
                        hit.snippet.to_html()
                    );
                }
            }
        }
    }
    out.push_str("</body></html>");
    out
}

fn render_flags(read: &ReadSide, out: &mut String) {
    let Ok(activity) = read.activity(Utc::now()) else {
        return;
    };
    let flagged: Vec<_> = activity.iter().filter(|a| a.assessment.flagged).collect();
    if flagged.is_empty() {
        return;
    }
    out.push_str("<h2>Flagged narratives</h2>");
    for a in flagged {
        let _ = write!(
            out,
            "<div class=flag><strong>{}</strong> <span class=meta>{} · {} documents in the window, {:.1}× baseline</span>",
            escape_html(&a.title),
            a.severity.as_str(),
            a.assessment.count,
            a.assessment.ratio
        );
        if let Some(first) = &a.first_seen {
            let _ = write!(
                out,
                "<div class=meta>first seen {} in {}</div>",
                first.published.format("%Y-%m-%d %H:%M UTC"),
                escape_html(&first.source)
            );
        }
        out.push_str("<ul>");
        for s in &a.samples {
            let title = match linkable(&s.url) {
                Some(url) => format!(
                    "<a href=\"{}\" rel=\"noopener noreferrer nofollow\">{}</a>",
                    escape_html(url),
                    escape_html(&s.title)
                ),
                None => escape_html(&s.title),
            };
            let _ = write!(
                out,
                "<li>{title} <span class=meta>{}</span></li>",
                escape_html(&s.source)
            );
        }
        out.push_str("</ul></div>");
    }
}
