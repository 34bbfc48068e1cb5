//! Social sources through the local server, in their platforms' real response formats: paging
//! asks only for what is new, and hashtags, mentions and shared links are fields of their own.

use crate::support::{Deployment, FixtureServer, feed_fixtures, search};

fn mastodon_source(name: &str, url: &str) -> String {
    format!(
        "[[sources]]\nname = \"{name}\"\nkind = \"mastodon\"\nurl = \"{url}\"\nallow_private = true\n\n"
    )
}

#[tokio::test]
async fn mastodon_timelines_page_forward_and_index_social_fields() {
    let server = FixtureServer::start_on([127, 0, 0, 70]).await;
    server.put_file(
        "public",
        "application/json",
        &feed_fixtures().join("mastodon/mastodon_timeline_public.json"),
    );
    server.put_file(
        "hoot",
        "application/json",
        &feed_fixtures().join("mastodon/mastodon_timeline_tag_hoot.json"),
    );
    let sources = [
        mastodon_source("public", &server.url("/f/public")),
        mastodon_source("hoot", &server.url("/f/hoot")),
    ]
    .concat();
    let deployment = Deployment::new("rate_per_host = 50.0", &sources);
    let (pipeline, report) = crate::support::crawl_all(&deployment).await;
    assert_eq!(report.failed().count(), 0, "{report:#?}");
    assert_eq!(report.new_documents, 9, "{report:#?}");
    assert!(
        server.request_paths("/robots.txt").is_empty(),
        "robots.txt does not govern an API"
    );

    let hits = search(&pipeline, "hashtag:hoot", 10);
    assert_eq!(hits.len(), 1, "the hashtag is a field of its own");
    assert_eq!(hits[0].kind, "mastodon");
    let read = pipeline.read_side();
    let public = read.store.source_state("public").unwrap().unwrap();
    assert_eq!(
        public.cursor.as_deref(),
        Some("117020593378945190"),
        "the newest status id, recorded after commit"
    );

    // The next poll asks only for statuses newer than the newest seen.
    pipeline
        .crawl(&deployment.config().sources, None)
        .await
        .unwrap();
    let paths = server.request_paths("/f/public");
    assert_eq!(paths[0], "/f/public?limit=40");
    assert_eq!(paths[1], "/f/public?limit=40&min_id=117020593378945190");
}

#[tokio::test]
async fn mastodon_api_errors_are_named() {
    let server = FixtureServer::start_on([127, 0, 0, 71]).await;
    server.put(
        "denied",
        "application/json",
        "{\"error\":\"This API requires an authenticated user\"}",
    );
    server.put(
        "changed",
        "application/json",
        "{\"data\":{\"statuses\":[]}}",
    );
    server.put("empty", "application/json", "[]");
    let sources = ["denied", "changed", "empty"]
        .iter()
        .map(|n| mastodon_source(n, &server.url(&format!("/f/{n}"))))
        .collect::<String>();
    let deployment = Deployment::new("rate_per_host = 50.0", &sources);
    let (_pipeline, report) = crate::support::crawl_all(&deployment).await;
    let error_of = |name: &str| {
        report
            .sources
            .iter()
            .find(|s| s.name == name)
            .unwrap()
            .error
            .clone()
    };
    assert!(
        error_of("denied").unwrap().contains(
            "the Mastodon API answered an error: This API requires an authenticated user"
        )
    );
    assert!(
        error_of("changed")
            .unwrap()
            .contains("unexpected JSON for a Mastodon timeline")
    );
    assert_eq!(
        error_of("empty"),
        None,
        "an empty timeline is a quiet hour, not an error"
    );
}

#[tokio::test]
async fn reddit_listings_page_forward_and_youtube_feeds_are_read() {
    let server = FixtureServer::start_on([127, 0, 0, 72]).await;
    server.put_file(
        "new.json",
        "application/json",
        &feed_fixtures().join("reddit/reddit_listing_subreddit_new.json"),
    );
    server.put_file(
        "videos.xml",
        "application/atom+xml",
        &feed_fixtures().join("feed-rs/atom_mediarss_youtube_1.xml"),
    );
    let sources = format!(
        "[[sources]]\nname = \"askreddit\"\nkind = \"reddit\"\nurl = \"{}\"\nallow_private = true\nrate = 50.0\n\n[[sources]]\nname = \"channel\"\nkind = \"youtube\"\nurl = \"{}\"\nallow_private = true\nfull_text = \"never\"\n",
        server.url("/f/new.json"),
        server.url("/f/videos.xml")
    );
    let deployment = Deployment::new("rate_per_host = 50.0", &sources);
    let (pipeline, report) = crate::support::crawl_all(&deployment).await;
    assert_eq!(report.failed().count(), 0, "{report:#?}");
    let reddit = report
        .sources
        .iter()
        .find(|s| s.name == "askreddit")
        .unwrap();
    assert_eq!(reddit.items, 100);
    let video = search(&pipeline, "entanglement", 5);
    assert_eq!(video.len(), 1);
    assert_eq!(video[0].kind, "youtube");
    assert_eq!(search(&pipeline, "parents AND lie", 5)[0].kind, "reddit");

    pipeline
        .crawl(&deployment.config().sources, None)
        .await
        .unwrap();
    let paths = server.request_paths("/f/new.json");
    assert_eq!(
        paths,
        vec![
            "/f/new.json?limit=100&raw_json=1".to_string(),
            "/f/new.json?limit=100&raw_json=1&before=t3_48fbm9".to_string()
        ]
    );
}

#[tokio::test]
async fn bluesky_searches_ask_only_for_posts_since_the_newest_seen() {
    let server = FixtureServer::start_on([127, 0, 0, 73]).await;
    let post = std::fs::read_to_string(
        feed_fixtures().join("bluesky/bsky_thread_view_post_with_embed_media.json"),
    )
    .unwrap();
    let mut post: serde_json::Value =
        serde_json::from_str::<serde_json::Value>(&post).unwrap()["thread"]["post"].clone();
    post["record"]["text"] =
        serde_json::json!("The warrant is void, say the #court's critics <b>loudly</b>");
    post["record"]["facets"] = serde_json::json!([{"features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "court"}]}]);
    server.put(
        "app.bsky.feed.searchPosts",
        "application/json",
        serde_json::json!({ "posts": [post], "cursor": "0" }).to_string(),
    );
    let sources = format!(
        "[[sources]]\nname = \"bsky\"\nkind = \"bluesky\"\nurl = \"{}?q=warrant\"\nallow_private = true\n",
        server.url("/f/app.bsky.feed.searchPosts")
    );
    let deployment = Deployment::new("rate_per_host = 50.0", &sources);
    let (pipeline, report) = crate::support::crawl_all(&deployment).await;
    assert_eq!(
        (report.failed().count(), report.new_documents),
        (0, 1),
        "{report:#?}"
    );
    let hits = search(&pipeline, "hashtag:court AND void", 5);
    assert_eq!(hits.len(), 1);
    assert!(
        hits[0].snippet.text.contains("<b>loudly</b>")
            || hits[0].title.text.contains("<b>loudly</b>"),
        "text stays text: {:?}",
        hits[0]
    );
    pipeline
        .crawl(&deployment.config().sources, None)
        .await
        .unwrap();
    let paths = server.request_paths("/f/app.bsky.feed.searchPosts");
    assert_eq!(
        paths[0],
        "/f/app.bsky.feed.searchPosts?q=warrant&limit=100&sort=latest"
    );
    assert_eq!(
        paths[1],
        "/f/app.bsky.feed.searchPosts?q=warrant&limit=100&sort=latest&since=2023-09-28T12%3A49%3A36.735Z"
    );
}

#[tokio::test]
async fn gdelt_article_lists_page_forward_and_get_their_full_text() {
    let server = FixtureServer::start_on([127, 0, 0, 74]).await;
    let list = serde_json::json!({ "articles": [
        { "url": server.url("/f/article.html"), "title": "Registrar opens office", "seendate": "20260105T113000Z", "domain": "127.0.0.74", "language": "English", "sourcecountry": "Netherlands" }
    ]});
    server.put("doc", "application/json", list.to_string());
    let page = "<html><head><title>Registrar opens office</title></head><body><article><p>The Registrar of the court opened a new field office to support the participation of victims and outreach to affected communities across the region.</p><p>Twelve staff, including interpreters and psychologists, will organise information sessions in villages that are hard to reach.</p></article></body></html>";
    server.put("article.html", "text/html; charset=utf-8", page);
    let sources = format!(
        "[[sources]]\nname = \"gdelt\"\nkind = \"gdelt\"\nurl = \"{}?query=registrar\"\nallow_private = true\nrate = 50.0\n",
        server.url("/f/doc")
    );
    let deployment = Deployment::new("", &sources);
    let (pipeline, report) = crate::support::crawl_all(&deployment).await;
    assert_eq!(
        (report.failed().count(), report.sources[0].articles),
        (0, 1),
        "{report:#?}"
    );
    assert_eq!(
        search(&pipeline, "psychologists", 5).len(),
        1,
        "the article's own text was fetched"
    );
    pipeline
        .crawl(&deployment.config().sources, None)
        .await
        .unwrap();
    let paths = server.request_paths("/f/doc");
    assert_eq!(
        paths[1],
        "/f/doc?query=registrar&mode=ArtList&format=json&maxrecords=250&sort=DateDesc&startdatetime=20260105113000"
    );
    // Without a `rate`, a GDELT source gets the API's documented budget.
    let plain = vigil::config::Config::parse(
        "[crawl]\ncontact_url = \"https://vigil.example.org/c\"\n[[sources]]\nname = \"g\"\nkind = \"gdelt\"\nurl = \"https://api.gdeltproject.example.org/api/v2/doc/doc?query=icc\"\n",
        std::path::Path::new("vigil.toml"),
        std::path::Path::new("."),
    )
    .unwrap();
    assert_eq!(plain.sources[0].rate, Some(0.2));
}

/// A channel preview page holding the given message numbers.
fn telegram_page(ids: std::ops::RangeInclusive<u64>) -> String {
    let mut page = String::from("<html><body><section class=\"tgme_channel_history\">");
    for id in ids {
        page.push_str(&format!(
            "<div class=\"tgme_widget_message\" data-post=\"haguewatch/{id}\"><div class=\"tgme_widget_message_text\">Channel message number {id} about the tribunal</div><a class=\"tgme_widget_message_date\" href=\"/haguewatch/{id}\"><time datetime=\"2026-01-05T10:{:02}:00+00:00\"></time></a></div>",
            id % 60
        ));
    }
    page.push_str("</section></body></html>");
    page
}

#[tokio::test]
async fn telegram_channels_page_back_until_they_reach_what_was_seen() {
    let server = FixtureServer::start_on([127, 0, 0, 75]).await;
    server.put_file(
        "haguewatch",
        "text/html; charset=utf-8",
        &crate::support::fixtures().join("telegram_channel_page.html"),
    );
    let sources = format!(
        "[[sources]]\nname = \"tg\"\nkind = \"telegram\"\nurl = \"{}\"\nallow_private = true\n",
        server.url("/f/haguewatch")
    );
    let deployment = Deployment::new("rate_per_host = 50.0", &sources);
    let (pipeline, report) = crate::support::crawl_all(&deployment).await;
    assert_eq!(
        (report.failed().count(), report.new_documents),
        (0, 3),
        "{report:#?}"
    );
    assert_eq!(search(&pipeline, "hashtag:puppetcourt", 5).len(), 1);

    // A busy hour: messages 104 to 112 were posted. The newest page shows 110 to 112; the
    // poll pages back once, to 104 to 109, and stops where it had read before.
    server.put("haguewatch", "text/html", telegram_page(110..=112));
    server.put(
        "haguewatch?before=110",
        "text/html",
        telegram_page(104..=109),
    );
    let again = pipeline
        .crawl(&deployment.config().sources, None)
        .await
        .unwrap();
    assert_eq!(again.new_documents, 9, "{again:#?}");
    assert_eq!(
        server.request_paths("/f/haguewatch"),
        vec!["/f/haguewatch", "/f/haguewatch", "/f/haguewatch?before=110"]
    );
}

#[tokio::test]
async fn authentication_failures_say_so() {
    let server = FixtureServer::start_on([127, 0, 0, 76]).await;
    let sources = format!(
        "[[sources]]\nname = \"locked\"\nkind = \"bluesky\"\nurl = \"{}\"\nallow_private = true\n",
        server.url("/status/401")
    );
    let deployment = Deployment::new("rate_per_host = 50.0", &sources);
    let (_pipeline, report) = crate::support::crawl_all(&deployment).await;
    let error = report.sources[0].error.clone().unwrap();
    assert!(
        error.contains("\"locked\"") && error.contains("http status 401 (authentication refused"),
        "{error}"
    );
}

#[tokio::test]
async fn mastodon_accounts_given_by_profile_url_are_looked_up_once() {
    let server = FixtureServer::start_on([127, 0, 0, 77]).await;
    let app = axum::Router::new()
        .route(
            "/api/v1/accounts/lookup",
            axum::routing::get(|| async { "{\"id\":\"4242\",\"username\":\"court\"}" }),
        )
        .route(
            "/api/v1/accounts/4242/statuses",
            axum::routing::get(|| async {
                std::fs::read_to_string(
                    crate::support::feed_fixtures()
                        .join("mastodon/mastodon_timeline_tag_hoot.json"),
                )
                .unwrap()
            }),
        );
    let listener = tokio::net::TcpListener::bind(std::net::SocketAddr::from(([127, 0, 0, 78], 0)))
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let recorder = log.clone();
    let app = app.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let recorder = recorder.clone();
            async move {
                recorder
                    .lock()
                    .unwrap()
                    .push(request.uri().path().to_string());
                next.run(request).await
            }
        },
    ));
    tokio::spawn(async move { axum::serve(listener, app).await });
    drop(server);
    let sources = format!(
        "[[sources]]\nname = \"court\"\nkind = \"mastodon\"\nurl = \"{base}/@court\"\nallow_private = true\n"
    );
    let deployment = Deployment::new("rate_per_host = 50.0", &sources);
    let (pipeline, report) = crate::support::crawl_all(&deployment).await;
    assert_eq!(
        (report.failed().count(), report.new_documents),
        (0, 1),
        "{report:#?}"
    );
    pipeline
        .crawl(&deployment.config().sources, None)
        .await
        .unwrap();
    let paths = log.lock().unwrap().clone();
    assert_eq!(
        paths,
        vec![
            "/api/v1/accounts/lookup",
            "/api/v1/accounts/4242/statuses",
            "/api/v1/accounts/4242/statuses"
        ],
        "looked up once"
    );
}

#[tokio::test]
async fn bluesky_sessions_use_the_app_password_once_and_never_show_it() {
    use axum::http::{HeaderMap, StatusCode};
    let post = std::fs::read_to_string(
        feed_fixtures().join("bluesky/bsky_thread_view_post_with_embed_media.json"),
    )
    .unwrap();
    let mut post: serde_json::Value =
        serde_json::from_str::<serde_json::Value>(&post).unwrap()["thread"]["post"].clone();
    post["record"]["text"] = serde_json::json!("Authenticated search result about the tribunal");
    let answer = serde_json::json!({ "posts": [post] }).to_string();
    let sessions = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let opened = sessions.clone();
    let app = axum::Router::new()
        .route(
            "/xrpc/com.atproto.server.createSession",
            axum::routing::post(move |body: String| {
                let opened = opened.clone();
                async move {
                    let request: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                    if request["identifier"] == "vigil.example.org" && request["password"] == "app-pass-1234" {
                        opened.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        (StatusCode::OK, "{\"accessJwt\":\"tok-1\",\"refreshJwt\":\"r\"}")
                    } else {
                        (StatusCode::UNAUTHORIZED, "{\"error\":\"AuthenticationRequired\",\"message\":\"Invalid identifier or password\"}")
                    }
                }
            }),
        )
        .route(
            "/xrpc/app.bsky.feed.searchPosts",
            axum::routing::get(move |headers: HeaderMap| {
                let answer = answer.clone();
                async move {
                    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
                        Some("Bearer tok-1") => (StatusCode::OK, answer),
                        _ => (StatusCode::UNAUTHORIZED, "{\"error\":\"AuthMissing\"}".to_string()),
                    }
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind(std::net::SocketAddr::from(([127, 0, 0, 79], 0)))
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let secrets = tempfile::tempdir().unwrap();
    std::fs::write(secrets.path().join("good"), "app-pass-1234\n").unwrap();
    std::fs::write(secrets.path().join("bad"), "wrong-pass-9876\n").unwrap();
    let source = |name: &str, file: &str| {
        format!(
            "[[sources]]\nname = \"{name}\"\nkind = \"bluesky\"\nurl = \"{base}/xrpc/app.bsky.feed.searchPosts?q=tribunal\"\nallow_private = true\n[sources.auth]\nidentifier = \"vigil.example.org\"\npassword_file = \"{}\"\nservice = \"{base}\"\n",
            secrets.path().join(file).display()
        )
    };
    let deployment = Deployment::new(
        "rate_per_host = 50.0",
        &[source("good", "good"), source("bad", "bad")].concat(),
    );
    let (pipeline, report) = crate::support::crawl_all(&deployment).await;
    let good = report.sources.iter().find(|s| s.name == "good").unwrap();
    assert_eq!(
        (good.error.clone(), good.new_documents),
        (None, 1),
        "{report:#?}"
    );
    let bad = report
        .sources
        .iter()
        .find(|s| s.name == "bad")
        .unwrap()
        .error
        .clone()
        .unwrap();
    assert!(
        bad.contains("Bluesky refused the app password for vigil.example.org"),
        "{bad}"
    );
    assert!(!bad.contains("wrong-pass-9876"), "the password never shows");
    assert!(
        !format!("{:?}", deployment.config()).contains("app-pass-1234"),
        "nor does the configuration hold it"
    );
    pipeline
        .crawl(&deployment.config().sources, None)
        .await
        .unwrap();
    assert_eq!(
        sessions.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one session for both polls"
    );
}

#[tokio::test]
async fn a_bluesky_burst_larger_than_a_page_is_read_through_the_cursor() {
    let server = FixtureServer::start_on([127, 0, 0, 80]).await;
    let post = |i: usize| {
        serde_json::json!({
            "uri": format!("at://did:plc:burst/app.bsky.feed.post/{i:06}"),
            "cid": "c",
            "author": { "did": "did:plc:burst", "handle": "burst.example.org" },
            "record": { "$type": "app.bsky.feed.post", "text": format!("Burst post number {i} about the tribunal"), "createdAt": "2026-01-05T10:00:00Z" },
            "indexedAt": format!("2026-01-05T10:{:02}:{:02}Z", i / 60, i % 60),
        })
    };
    let name = "app.bsky.feed.searchPosts";
    server.put(
        name,
        "application/json",
        serde_json::json!({ "posts": [post(0)] }).to_string(),
    );
    let sources = format!(
        "[[sources]]\nname = \"bsky\"\nkind = \"bluesky\"\nurl = \"{}?q=tribunal\"\nallow_private = true\n",
        server.url(&format!("/f/{name}"))
    );
    let deployment = Deployment::new("rate_per_host = 50.0", &sources);
    let (pipeline, first) = crate::support::crawl_all(&deployment).await;
    assert_eq!(first.new_documents, 1);
    let since = "?q=tribunal&limit=100&sort=latest&since=2026-01-05T10%3A00%3A00Z";
    server.put(
        &format!("{name}{since}"),
        "application/json",
        serde_json::json!({ "posts": (1..=100).map(post).collect::<Vec<_>>(), "cursor": "page-2" })
            .to_string(),
    );
    server.put(
        &format!("{name}{since}&cursor=page-2"),
        "application/json",
        serde_json::json!({ "posts": (101..=105).map(post).collect::<Vec<_>>() }).to_string(),
    );
    let burst = pipeline
        .crawl(&deployment.config().sources, None)
        .await
        .unwrap();
    assert_eq!(burst.new_documents, 105, "{burst:#?}");
    assert_eq!(
        server.request_paths(&format!("/f/{name}")).len(),
        3,
        "one page, then the cursor once"
    );
}

#[tokio::test]
async fn identical_posts_by_different_accounts_are_all_kept_as_one_copy_group() {
    // Five accounts post the same text and link within seconds: the copy-paste and
    // coordination signal, so none may be dropped as a duplicate.
    let server = FixtureServer::start_on([127, 0, 0, 71]).await;
    let statuses: Vec<serde_json::Value> = (1..=5)
        .map(|i| {
            serde_json::json!({
                "id": format!("{}", 900 + i),
                "created_at": format!("2026-01-05T10:00:0{i}.000Z"),
                "uri": format!("https://amp.example.org/users/a{i}/statuses/{}", 900 + i),
                "url": format!("https://amp.example.org/@a{i}/{}", 900 + i),
                "content": "<p>Must read: the court is rigged <a href=\"https://news.example.org/rigged\">https://news.example.org/rigged</a></p>",
                "language": "en",
                "account": {"acct": format!("a{i}@amp.example.org"), "display_name": format!("A{i}")},
                "reblog": null,
                "tags": [],
                "mentions": [],
                "reblogs_count": 0, "favourites_count": 0, "replies_count": 0
            })
        })
        .collect();
    server.put(
        "burst",
        "application/json",
        serde_json::to_vec(&statuses).unwrap(),
    );
    let deployment = Deployment::new(
        "rate_per_host = 50.0",
        &mastodon_source("burst", &server.url("/f/burst")),
    );
    let (pipeline, report) = crate::support::crawl_all(&deployment).await;
    assert_eq!(report.new_documents, 5, "{report:#?}");
    let hits = search(&pipeline, "rigged", 10);
    assert_eq!(hits.len(), 5);
    let read = pipeline.read_side();
    let ids: Vec<String> = hits.iter().map(|h| h.id.clone()).collect();
    let groups: std::collections::BTreeSet<String> = read
        .reader
        .docs_by_id(&ids)
        .unwrap()
        .into_iter()
        .map(|d| d.dup_group)
        .collect();
    assert_eq!(groups.len(), 1, "one copy-paste group: {groups:?}");
}
