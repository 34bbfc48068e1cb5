//! Full text and robots.txt: summary-only items get their article page fetched once, through
//! the polite fetcher; robots.txt rules and Crawl-delay are obeyed, except for API sources.

use crate::support::{Deployment, FixtureServer};
use std::time::Duration;
use vigil::index::reader::SearchFilter;
use vigil::pipeline::Pipeline;

const ARTICLE: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Registrar opens office</title>
<link rel="canonical" href="/articles/registrar-opens-office"></head><body><nav>Home News Sport</nav><article>
<h1>Registrar opens field office</h1>
<p>The Registrar of the court opened a new field office on Tuesday to support the participation of victims in proceedings and outreach to affected communities.</p>
<p>The office will employ twelve staff, including interpreters and psychologists, and will organise information sessions in villages that are hard to reach during the rainy season.</p>
<p>Representatives of victims' associations welcomed the decision and asked for a permanent presence of the court in the region until the end of the trials.</p>
</article><footer>Cookie settings</footer></body></html>"#;

/// The feed of `tests/fixtures/summary_only_feed.rss`, its links pointing at `base`.
fn feed(base: &str, extra: &str) -> String {
    let template =
        std::fs::read_to_string(crate::support::fixtures().join("summary_only_feed.rss")).unwrap();
    template.replace("{base}", base).replace("{extra}", extra)
}

#[tokio::test]
async fn summary_only_items_get_their_article_once_and_politely() {
    let server = FixtureServer::start_on([127, 0, 0, 60]).await;
    server.put("article.html", "text/html; charset=utf-8", ARTICLE);
    server.put("secret.html", "text/html", ARTICLE);
    server.put(
        "robots.txt",
        "text/plain",
        "User-agent: *\nDisallow: /f/secret\n",
    );
    server.put("feed.xml", "application/rss+xml", feed(&server.base, ""));
    let sources = format!(
        "[[sources]]\nname = \"outlet\"\nkind = \"feed\"\nurl = \"{}\"\nallow_private = true\n",
        server.url("/f/feed.xml")
    );
    let deployment = Deployment::new("rate_per_host = 50.0", &sources);
    let config = deployment.config();
    let pipeline = Pipeline::open(config.clone()).unwrap();
    let report = pipeline.crawl(&config.sources, None).await.unwrap();
    let outcome = &report.sources[0];
    assert!(outcome.error.is_none(), "{outcome:?}");
    assert_eq!(
        (outcome.articles, outcome.article_errors),
        (1, 3),
        "{outcome:?}"
    );
    assert_eq!(
        outcome.new_documents, 5,
        "every item is indexed, with its feed text where the page failed"
    );

    let read = pipeline.read_side();
    read.reader.reload().unwrap();
    let query = vigil::query::compile(read.reader.index(), "psychologists").unwrap();
    let hits = read
        .reader
        .search(
            &*query,
            &SearchFilter {
                limit: 5,
                ..Default::default()
            },
        )
        .unwrap()
        .hits;
    assert_eq!(hits.len(), 1, "the article's full text was indexed");
    assert_eq!(
        hits[0].url,
        format!("{}/articles/registrar-opens-office", server.base),
        "the page's canonical URL"
    );
    assert!(
        server.request_times("/f/secret.html").is_empty(),
        "robots.txt disallowed it"
    );
    assert!(
        server.request_times("/f/full.html").is_empty(),
        "the feed had the full text"
    );

    // The feed changes (a new item): the known item's page is not fetched again.
    server.put("feed.xml", "application/rss+xml", feed(&server.base, "<item><title>New</title><link>https://n.example.org/new</link><description>x</description></item>"));
    let again = pipeline.crawl(&config.sources, None).await.unwrap();
    assert!(again.sources[0].error.is_none());
    assert_eq!(
        server.request_times("/f/article.html").len(),
        1,
        "fetched once"
    );
    assert_eq!(
        server.request_times("/robots.txt").len(),
        1,
        "robots.txt is cached"
    );
}

#[tokio::test]
async fn robots_disallow_and_crawl_delay_hold_except_for_api_sources() {
    let server = FixtureServer::start_on([127, 0, 0, 62]).await;
    server.put(
        "robots.txt",
        "text/plain",
        "User-agent: Vigil\nDisallow: /f/blocked\nCrawl-delay: 0.5\n",
    );
    let body =
        std::fs::read(crate::support::feed_fixtures().join("feed-rs/rss_2.0_bbc.xml")).unwrap();
    let mut sources = String::new();
    for name in ["one", "two", "three", "blocked"] {
        server.put(&format!("{name}.xml"), "application/rss+xml", body.clone());
        sources.push_str(&crate::support::source(
            name,
            &server.url(&format!("/f/{name}.xml")),
        ));
    }
    sources.push_str(&format!("[[sources]]\nname = \"api\"\nkind = \"feed\"\nurl = \"{}\"\nallow_private = true\napi = true\nfull_text = \"never\"\n", server.url("/f/blocked-api.xml")));
    server.put("blocked-api.xml", "application/rss+xml", body.clone());
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
        error_of("blocked")
            .unwrap()
            .contains("disallowed by robots.txt"),
        "{report:#?}"
    );
    assert_eq!(
        error_of("api"),
        None,
        "robots.txt does not apply to API endpoints"
    );
    assert!(server.request_times("/f/blocked.xml").is_empty());
    let mut times = server.request_times("/f/");
    times.sort();
    assert_eq!(times.len(), 4, "three feeds and the api source");
    for pair in times.windows(2) {
        assert!(
            pair[1] - pair[0] + Duration::from_millis(60) >= Duration::from_millis(500),
            "Crawl-delay: {:?}",
            pair[1] - pair[0]
        );
    }
}

#[tokio::test]
async fn listing_pages_are_read_with_selectors_and_their_articles_fetched() {
    let server = FixtureServer::start_on([127, 0, 0, 63]).await;
    let listing = r#"<html><body><main>
<div class="news-item"><h3><a href="/f/article.html">Registrar opens field office</a></h3><span class="date">2026-01-05</span></div>
<div class="news-item"><h3><a href="/f/other.html">Another release</a></h3><span class="date">2026-01-04</span></div>
</main></body></html>"#;
    server.put("press", "text/html; charset=utf-8", listing);
    server.put("article.html", "text/html; charset=utf-8", ARTICLE);
    server.put(
        "other.html",
        "text/html; charset=utf-8",
        ARTICLE.replace("psychologists", "archivists"),
    );
    let sources = format!(
        "[[sources]]\nname = \"press\"\nkind = \"html\"\nurl = \"{}\"\nallow_private = true\n[sources.selectors]\nitem = \"div.news-item\"\ntitle = \"h3\"\nlink = \"h3 a\"\ndate = \".date\"\n",
        server.url("/f/press")
    );
    let deployment = Deployment::new("rate_per_host = 50.0", &sources);
    let (pipeline, report) = crate::support::crawl_all(&deployment).await;
    assert_eq!(
        (
            report.failed().count(),
            report.sources[0].items,
            report.sources[0].articles
        ),
        (0, 2, 2),
        "{report:#?}"
    );
    assert_eq!(crate::support::search(&pipeline, "archivists", 5).len(), 1);
    let hits = crate::support::search(&pipeline, "psychologists", 5);
    assert_eq!(
        hits[0].published.format("%Y-%m-%d").to_string(),
        "2026-01-05"
    );
}
