//! The web server for communications staff and analysts: server-rendered pages (search,
//! narratives, the query workbench, sources, digests), a JSON API for everything the pages show,
//! CSV export, `/metrics` and `/healthz`. In: the read side, the configuration and the accounts
//! in the state database; out: HTML, JSON, CSV and Prometheus text.
//!
//! Everything but `/healthz`, the login page and the stylesheet needs a signed-in user (a
//! session cookie, HttpOnly and SameSite=Strict, or an API token). Every form carries a CSRF
//! token. Crawled text is hostile: every title, snippet and URL is escaped, links are rendered
//! only for http(s), and the Content-Security-Policy allows no script at all.

mod api;
pub mod error;
mod evidence;
mod pages;
mod search;
pub mod server;
mod session;
mod workbench;

use crate::auth::{LoginLimiter, Principal, Role};
use crate::budget::Budget;
use crate::config::Config;
use crate::readside::ReadSide;
use crate::store::Store;
use crate::text::{escape_html, link_domain, linkable};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::fmt::Write;
use std::sync::Arc;

pub use search::SearchParams;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub read: ReadSide,
    /// The state database, read-write: sessions, accounts and the audit log.
    pub store: Arc<Store>,
    pub config: Arc<Config>,
    pub limiter: Arc<LoginLimiter>,
    /// Slots and budget for searches, stats, exports, backtests and workbench runs.
    pub gate: Gate,
    /// Slots for password verifications.
    pub logins: Arc<tokio::sync::Semaphore>,
    /// Mark cookies Secure (served over TLS, or behind a proxy that terminates it).
    pub secure_cookies: bool,
}

impl AppState {
    pub fn new(read: ReadSide, store: Arc<Store>, config: Config) -> AppState {
        let web = &config.web;
        AppState {
            read,
            store,
            gate: Gate {
                budget: Budget {
                    time: web.request_timeout,
                    memory: web.request_memory,
                },
                permits: Arc::new(tokio::sync::Semaphore::new(web.concurrent_requests)),
            },
            logins: Arc::new(tokio::sync::Semaphore::new(web.concurrent_logins)),
            config: Arc::new(config),
            limiter: Arc::new(LoginLimiter::default()),
            secure_cookies: false,
        }
    }
}

/// Runs the requests whose cost follows what the user typed (searches, stats, exports,
/// backtests, workbench runs): a few at a time, each on a blocking thread under its budget
/// (`crate::budget`). A request that finds no free slot within its time gets `Busy`; one
/// whose work ran past its time or memory gets `OverBudget`, not partial results.
#[derive(Clone)]
pub struct Gate {
    pub budget: Budget,
    permits: Arc<tokio::sync::Semaphore>,
}

impl Gate {
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, error::WebError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        match self.run_reporting(f).await? {
            (_, Some(spent)) => Err(error::WebError::OverBudget(spent)),
            (out, None) => Ok(out),
        }
    }

    /// `run` for work that reports a spent budget itself (the workbench shows what it could
    /// finish, and says what it stopped): the value comes back with the verdict.
    pub(crate) async fn run_reporting<T, F>(
        &self,
        f: F,
    ) -> Result<(T, Option<crate::budget::Spent>), error::WebError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let budget = self.budget;
        let deadline = std::time::Instant::now() + budget.time;
        let permit =
            match tokio::time::timeout_at(deadline.into(), self.permits.clone().acquire_owned())
                .await
            {
                Ok(Ok(permit)) => permit,
                _ => return Err(error::WebError::Busy),
            };
        let work = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _budget = crate::budget::enter_until(budget, deadline);
            let out = f();
            (out, crate::budget::spent())
        });
        work.await
            .map_err(|join| error::WebError::internal("the request", join))
    }
}

/// The router.
pub fn app(state: AppState) -> Router {
    let protected = Router::new()
        .route("/", get(pages::search_page))
        .route("/export.csv", get(api::export_csv))
        .route("/narratives", get(pages::narratives_page))
        .route("/narratives/{id}", get(pages::narrative_page))
        .route("/narratives/{id}/evidence", post(evidence::download_bundle))
        .route(
            "/narratives/{id}/evidence/archive",
            post(evidence::archive_narrative),
        )
        .route("/queries", get(workbench::list_page))
        .route("/queries/new", get(workbench::new_page))
        .route("/queries/lint", get(workbench::lint_page))
        .route(
            "/queries/{id}",
            get(workbench::edit_page).post(workbench::edit_post),
        )
        .route("/queries/{id}/toml", get(workbench::download))
        .route("/sources", get(pages::sources_page))
        .route("/security", get(evidence::security_page))
        .route("/security/evidence/{doc}", post(evidence::leak_bundle))
        .route("/digests", get(pages::digests_page))
        .route("/digests/preview", get(pages::digest_preview))
        .route("/logout", post(session::logout))
        .route("/api/search", get(api::search))
        .route("/api/search/stats", get(api::search_stats))
        .route("/api/documents/{id}", get(api::document))
        .route(
            "/api/documents/{id}/evidence",
            post(evidence::archive_document),
        )
        .route("/api/narratives", get(api::narratives))
        .route("/api/narratives/{id}", get(api::narrative))
        .route("/api/narratives/{id}/stix", get(api::narrative_stix))
        .route("/api/queries", get(api::queries))
        .route("/api/queries/{id}/backtest", get(api::backtest))
        .route("/api/sources", get(api::sources))
        .route("/api/digests", get(api::digests))
        .route("/api/digests/preview", get(api::digest_preview))
        .route("/metrics", get(api::metrics))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_login,
        ));
    Router::new()
        .merge(protected)
        .route("/login", get(session::login_page).post(session::login))
        .route("/healthz", get(|| async { "ok" }))
        .route("/style.css", get(stylesheet))
        .fallback(not_found)
        .layer(axum::middleware::map_response(security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            find_client,
        ))
        .layer(axum::middleware::from_fn(count_requests))
        .with_state(state)
}

async fn count_requests(request: Request, next: Next) -> Response {
    crate::metrics::global()
        .http_requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    next.run(request).await
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}

/// The security headers every response carries (a route may narrow the policy further).
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    if !headers.contains_key("content-security-policy") {
        headers.insert(
            "content-security-policy",
            HeaderValue::from_static(
                "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        );
    }
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Lets signed-in users through with their `Principal` attached; others get a redirect to the
/// login page (pages) or 401 (API, metrics, export).
async fn require_login(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let store = state.store.clone();
    let headers = request.headers().clone();
    let principal = tokio::task::spawn_blocking(move || session::principal(&store, &headers))
        .await
        .ok()
        .flatten();
    match principal {
        Some(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        None => {
            let path = request.uri().path();
            if path.starts_with("/api/") || path == "/metrics" || path.ends_with(".csv") {
                let mut response = (
                    StatusCode::UNAUTHORIZED,
                    Json(serde_json::json!({"error": "login required: a session or an API token (Authorization: Bearer …)"})),
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                response
            } else {
                let target = request
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_else(|| "/".into());
                Redirect::to(&format!("/login?next={}", url_encode(&target))).into_response()
            }
        }
    }
}

/// Percent-encodes a query-string value.
pub(crate) fn url_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A refusal: status and message, as HTML for pages.
pub(crate) fn refuse(status: StatusCode, message: &str) -> Response {
    (
        status,
        Html(format!(
            "<!doctype html><html lang=en><head><meta charset=utf-8><title>Vigil</title><link rel=stylesheet href=\"/style.css\"></head><body><main><p class=error>{}</p><p><a href=\"/\">Back to search</a></p></main></body></html>",
            escape_html(message)
        )),
    )
        .into_response()
}

/// A JSON error.
pub(crate) fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

/// Whether the principal has at least `role`.
pub(crate) fn allowed(principal: &Principal, role: Role) -> bool {
    principal.role >= role
}

/// The outbox origin a user may not see: the security office's alerts, below its role.
pub(crate) fn hidden_origin(principal: &Principal) -> Option<&'static str> {
    (!allowed(principal, Role::Security)).then_some(crate::alert::security::ORIGIN)
}

/// The address a request comes from, as login throttling and the audit log use it: the
/// socket's peer, or what a trusted proxy says (`server::client_ip`). `local` for requests
/// that came through no socket (the in-process tests).
#[derive(Debug, Clone)]
pub(crate) struct Client(pub String);

async fn find_client(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0);
    let forwarded = request
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let client = server::client_ip(peer, forwarded, &state.config.web.trusted_proxies)
        .map_or_else(|| "local".to_string(), |ip| ip.to_string());
    request.extensions_mut().insert(Client(client));
    next.run(request).await
}

/// An escaped link for crawled `title` and `url`: an anchor only for http(s), with the real
/// domain beside it.
pub(crate) fn doc_link(title_html: &str, url: &str) -> String {
    let title = if title_html.is_empty() {
        "(untitled)".to_string()
    } else {
        title_html.to_string()
    };
    match linkable(url) {
        Some(url) => format!(
            "<a href=\"{}\" rel=\"noopener noreferrer nofollow\">{title}</a> <span class=meta>{}</span>",
            escape_html(url),
            escape_html(&link_domain(url))
        ),
        None => title,
    }
}

/// The page around `body`: navigation, the signed-in user and the log-out form.
pub(crate) fn layout(title: &str, principal: &Principal, active: &str, body: &str) -> Html<String> {
    let mut out = String::with_capacity(body.len() + 2_048);
    let _ = write!(
        out,
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width,initial-scale=1\">\
         <title>{} · Vigil</title><link rel=stylesheet href=\"/style.css\"></head><body>\
         <a class=skip href=\"#main\">Skip to content</a><header><nav aria-label=\"main\"><strong class=brand>Vigil</strong>",
        escape_html(title)
    );
    for (href, label, key) in [
        ("/", "Search", "s"),
        ("/narratives", "Narratives", "n"),
        ("/queries", "Queries", "q"),
        ("/sources", "Sources", "o"),
        ("/digests", "Digests", "d"),
        ("/security", "Security", "y"),
    ] {
        if href == "/security" && !allowed(principal, Role::Security) {
            continue;
        }
        let current = if label == active {
            " aria-current=page"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<a href=\"{href}\" accesskey={key}{current}>{label}</a>"
        );
    }
    let csrf = principal.csrf.as_deref().unwrap_or("");
    let _ = write!(
        out,
        "</nav><form class=who method=post action=\"/logout\"><span>{} ({})</span><input type=hidden name=csrf value=\"{}\"><button type=submit>Log out</button></form></header><main id=main>{body}</main></body></html>",
        escape_html(&principal.user),
        principal.role.as_str(),
        escape_html(csrf)
    );
    Html(out)
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLE,
    )
}

const STYLE: &str = "*{box-sizing:border-box}body{font:16px/1.5 system-ui,sans-serif;max-width:72rem;margin:0 auto;padding:0 1rem 2rem;color:#1a1a1a}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;justify-content:space-between;border-bottom:1px solid #ddd;padding:.6rem 0;margin-bottom:1rem}
nav{display:flex;flex-wrap:wrap;gap:.3rem 1rem;align-items:baseline}nav a{text-decoration:none}nav a[aria-current]{font-weight:bold;text-decoration:underline}.brand{font-size:1.2rem;margin-right:.5rem}
.who{display:flex;gap:.5rem;align-items:center;margin:0;font-size:.9rem}.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:.5rem;background:#fff;padding:.3rem}
h1{font-size:1.4rem;margin:.2rem 0 .8rem}form.inline{display:inline-block;margin:0 .5rem .5rem 0}h2{font-size:1.15rem;margin:1.4rem 0 .5rem}
form.search{display:flex;flex-wrap:wrap;gap:.5rem;margin:0 0 1rem}form.search input[type=search]{flex:1 1 24rem}
input,select,button,textarea{font:inherit;padding:.35rem .5rem}textarea{width:100%;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9rem}
button{cursor:pointer}:focus-visible{outline:3px solid #1a4f8b;outline-offset:2px}mark{background:#ffe066}
.layout{display:grid;grid-template-columns:minmax(0,1fr) 15rem;gap:1.5rem}.facets h3{font-size:.95rem;margin:.8rem 0 .2rem}.facets ul{list-style:none;padding:0;margin:0;font-size:.9rem}
.hit{margin:0 0 1.1rem}.meta{color:#555;font-size:.88rem}.error{color:#a00;white-space:pre-wrap}.ok{color:#060}
.badge{display:inline-block;font-size:.75rem;padding:0 .4rem;border-radius:.6rem;background:#eef3f9;color:#1a4f8b;margin-right:.3rem}.badge.urgent{background:#b00020;color:#fff}
table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eee;vertical-align:top}
.spark{font-family:ui-monospace,monospace;color:#1a4f8b;letter-spacing:-1px;font-size:.7rem;white-space:nowrap}td.headline{min-width:18rem;width:45%}.chart svg{max-width:100%;height:auto}.card{border:1px solid #ddd;border-radius:.4rem;padding:.7rem 1rem;margin:0 0 1rem}
.pager{display:flex;gap:1rem;margin:1rem 0}a{color:#0645ad}.narrow{max-width:26rem;margin:3rem auto}
@media (max-width:48rem){.layout{grid-template-columns:1fr}body{padding:0 .6rem 1rem}table{font-size:.85rem}}";
