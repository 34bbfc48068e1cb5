//! The search page and API: hostile crawled text is escaped everywhere, `javascript:` links are
//! never links, and the security headers are present. Requests go through `app().oneshot()`.

use crate::support::{Deployment, FixtureServer, fixtures, source};
use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;

thread_local! {
    static TOKEN: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// A signed-in GET: the token comes from `TOKEN` (set by the test that builds the app).
async fn get(
    app: axum::Router,
    uri: &str,
) -> (axum::http::StatusCode, axum::http::HeaderMap, String) {
    let token = TOKEN.with(|t| t.borrow().clone());
    let response = app
        .oneshot(
            Request::get(uri)
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// The hostile feed crawled and served, with a viewer's API token in `TOKEN`.
async fn hostile_app() -> (
    FixtureServer,
    Deployment,
    vigil::pipeline::Pipeline,
    axum::Router,
) {
    let server = FixtureServer::start().await;
    server.put_file(
        "hostile.rss",
        "application/rss+xml",
        &fixtures().join("hostile_feed.rss"),
    );
    let deployment = Deployment::new(
        "rate_per_host = 50.0",
        &source("hostile", &server.url("/f/hostile.rss")),
    );
    deployment.add_query("tribunal", "tribunal");
    let (pipeline, report) = crate::support::crawl_all(&deployment).await;
    assert_eq!(report.new_documents, 2, "{report:#?}");
    let store = pipeline.store().clone();
    vigil::auth::add_user(
        &store,
        "reader",
        vigil::auth::Role::Viewer,
        "a long enough password",
    )
    .unwrap();
    let token = vigil::auth::create_api_token(&store, "reader", "test", None).unwrap();
    TOKEN.with(|t| *t.borrow_mut() = token);
    let app = vigil::web::app(vigil::web::AppState::new(
        pipeline.read_side().clone(),
        store,
        pipeline.config().clone(),
    ));
    (server, deployment, pipeline, app)
}

#[tokio::test]
async fn hostile_text_is_escaped_and_never_linked() {
    let (_server, _deployment, pipeline, app) = hostile_app().await;

    let (status, headers, page) = get(app.clone(), "/?q=tribunal").await;
    assert_eq!(status, 200);
    assert!(page.contains("2 results"), "{page}");
    assert!(
        !page.contains("<script") && !page.contains("<img"),
        "{page}"
    );
    assert!(!page.contains("href=\"javascript:"), "{page}");
    // Markup in a title is stripped as HTML; markup spelled out as entities stays text, escaped.
    assert!(
        page.contains("&lt;script&gt;alert(4)&lt;/script&gt;"),
        "{page}"
    );
    assert!(
        page.contains("<mark>Tribunal</mark>") || page.contains("<mark>tribunal</mark>"),
        "{page}"
    );
    assert!(
        !page.contains('\u{1b}') && !page.contains('\u{202E}'),
        "control characters are dropped"
    );
    let csp = headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'none'")
            && csp.contains("frame-ancestors 'none'")
            && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");

    // The canonical URL lost its tracking parameters and fragment.
    let (_, _, json) = get(app.clone(), "/api/search?q=markdown").await;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        json["hits"][0]["url"],
        "https://hostile.example.org/2026/01/markdown"
    );
    // A javascript: link is not a canonical URL at all.
    let (_, _, json) = get(app.clone(), "/api/search?q=click").await;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["hits"][0]["url"], "");

    let (status, _, body) = get(app.clone(), "/api/search?q=(unclosed").await;
    assert_eq!(status, 400);
    assert!(body.contains("invalid query"), "{body}");
    let (status, _, body) = get(app, "/healthz").await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "ok"));

    // The digest escapes the same text for every format it is read in.
    let read = pipeline.read_side();
    let now = chrono::Utc::now();
    let digest = vigil::alert::digest::build(
        read,
        pipeline.config(),
        &vigil::alert::digest::Selection::all(),
        now - chrono::Duration::days(3650),
        now,
    )
    .unwrap();
    assert!(!digest.top_documents.is_empty());
    let rendered = vigil::alert::render::render(&digest);
    let markdown = &rendered.markdown;
    assert!(
        !markdown.contains("<script") && markdown.contains("&lt;script&gt;alert\\(4\\)"),
        "{markdown}"
    );
    assert!(!markdown.contains("](javascript"), "{markdown}");
    let html = &rendered.html;
    assert!(
        !html.contains("<script") && html.contains("&lt;script&gt;alert(4)"),
        "{html}"
    );
    assert!(!html.contains("href=\"javascript"), "{html}");
    assert!(!rendered.slack.contains("<script"), "{}", rendered.slack);
    assert!(!rendered.subject.contains('\n'));
}

/// Regression: a state-database failure behind a search was answered 400, as if the user had
/// typed something wrong. It is Vigil's own failure: 500, a generic message, no SQL in the body.
#[tokio::test]
async fn a_storage_failure_behind_a_search_is_a_500_and_a_bad_query_a_400() {
    let (_server, _deployment, pipeline, app) = hostile_app().await;

    // The read side cannot write, even by mistake.
    let refused = pipeline.read_side().store.record_deferral(
        "hostile",
        "https://hostile.example.org/feed",
        chrono::Utc::now(),
    );
    assert!(
        refused.is_err(),
        "the read side wrote to the state database"
    );

    let (status, _, body) = get(app.clone(), "/api/search?q=tribunal%20AND%20(").await;
    assert_eq!(status.as_u16(), 400, "{body}");
    assert!(body.contains("invalid query"), "{body}");

    // Another process (or a disk fault) breaks the table narrative filters read.
    let broken = rusqlite::Connection::open(pipeline.config().state_path()).unwrap();
    broken.execute_batch("DROP TABLE cluster_members").unwrap();
    for uri in [
        "/api/search?q=tribunal&narrative=n123",
        "/api/search/stats?q=tribunal&narrative=n123",
        "/?q=tribunal&narrative=n123",
    ] {
        let (status, _, body) = get(app.clone(), uri).await;
        assert_eq!(status.as_u16(), 500, "{uri}: {body}");
        assert!(
            body.contains("failed on the server") && !body.contains("cluster_members"),
            "{uri}: {body}"
        );
    }
    // What does not touch the broken table still answers.
    let (status, _, body) = get(app.clone(), "/api/search?q=tribunal").await;
    assert_eq!(status.as_u16(), 200, "{body}");
}
