//! Crawl → index → search → stored queries, against the fixture server: real feeds from
//! `tests/fixtures/feeds/` (ISO-8859-1 ones and a truncated, invalid one among them).

use crate::support::{Deployment, FixtureServer, feed_fixtures, source};
use std::time::Duration;
use vigil::pipeline::Pipeline;

/// Slack allowed on the rate limiter's spacing of requests (scheduling noise on a busy machine).
const TIMING_TOLERANCE: Duration = Duration::from_millis(60);

fn search(pipeline: &Pipeline, text: &str) -> Vec<String> {
    crate::support::search(pipeline, text, 100)
        .into_iter()
        .map(|h| h.title.text)
        .collect()
}

#[tokio::test]
async fn crawl_then_search_then_recrawl_adds_nothing_and_a_broken_feed_fails_alone() {
    let server = FixtureServer::start().await;
    let feeds = feed_fixtures().join("feed-rs");
    let files = [
        ("golem", "rss_1.0_iso8859.xml", "application/rdf+xml"),
        ("dicas", "rss_0.91_encoding_1.xml", "application/rss+xml"),
        ("reuters", "rss_2.0_invalid_1.xml", "application/rss+xml"),
        (
            "fireball",
            "jsonfeed_example_1.json",
            "application/feed+json",
        ),
        ("relative", "atom_relative.xml", "application/atom+xml"),
        (
            "spiegel",
            "rss_2.0_spiegel.xml",
            "application/rss+xml; charset=utf-8",
        ),
    ];
    let mut sources = String::new();
    for (name, file, content_type) in files {
        server.put_file(file, content_type, &feeds.join(file));
        sources.push_str(&source(name, &server.url(&format!("/f/{file}"))));
    }
    sources.push_str(&source("gone", &server.url("/f/missing.xml")));
    let deployment = Deployment::new("rate_per_host = 50.0", &sources);
    deployment.add_query("glasfaser", "glasfaserforderung OR parametros");
    let config = deployment.config();
    let pipeline = Pipeline::open(config.clone()).unwrap();

    let report = pipeline.crawl(&config.sources, None).await.unwrap();
    let failed: Vec<&str> = report.failed().map(|s| s.name.as_str()).collect();
    assert_eq!(failed, vec!["reuters", "gone"], "{report:#?}");
    let reuters = report.sources.iter().find(|s| s.name == "reuters").unwrap();
    let error = reuters.error.as_deref().unwrap();
    assert!(
        error.contains("\"reuters\"")
            && error.contains("/f/rss_2.0_invalid_1.xml")
            && error.contains("not a readable feed"),
        "{error}"
    );
    let gone = report.sources.iter().find(|s| s.name == "gone").unwrap();
    assert!(
        gone.error.as_deref().unwrap().contains("http status 404"),
        "{gone:?}"
    );
    assert!(report.new_documents >= 6, "{report:#?}");

    // ISO-8859-1 decoded from the raw bytes: the umlaut and the tilde survive, and folding
    // makes them findable without accents.
    assert_eq!(
        search(&pipeline, "glasfaserförderung"),
        vec!["Digitalministerium: Neue Glasfaserförderung mit Schnellkasse"]
    );
    assert_eq!(
        search(&pipeline, "parametros"),
        vec!["bash - Expansão de Parâmetros"]
    );
    // Relative links resolved against the feed's URL.
    let hits = crate::support::search(&pipeline, "robots", 10);
    let read = pipeline.read_side();
    assert_eq!(
        hits[0].url,
        format!("{}/blog/2003/12/13/atom03", server.base)
    );

    let documents = read.reader.num_docs();
    let matches = read
        .store
        .matches_between(
            "glasfaser",
            chrono::DateTime::UNIX_EPOCH,
            chrono::Utc::now() + chrono::Duration::days(1),
        )
        .unwrap();
    assert_eq!(matches.len(), 2, "the stored query matched its two items");

    // A second pass: conditional GETs answer 304, nothing is added, the broken feed fails again.
    let again = pipeline.crawl(&config.sources, None).await.unwrap();
    assert_eq!(again.new_documents, 0, "{again:#?}");
    assert!(
        again
            .sources
            .iter()
            .filter(|s| s.error.is_none())
            .all(|s| s.not_modified),
        "{again:#?}"
    );
    read.reader.reload().unwrap();
    assert_eq!(read.reader.num_docs(), documents);
    let golem_requests = server.request_headers("/f/rss_1.0_iso8859.xml");
    assert!(
        golem_requests[1].get("if-none-match").is_some(),
        "the second request is conditional"
    );
    let user_agent = golem_requests[0]
        .get("user-agent")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        user_agent.starts_with("Vigil/")
            && user_agent.contains("https://vigil.example.org/contact"),
        "{user_agent}"
    );
    let state = read.store.source_state("reuters").unwrap().unwrap();
    assert_eq!(state.consecutive_failures, 2);
    assert!(
        state.next_due.unwrap() > chrono::Utc::now() + chrono::Duration::minutes(30),
        "backoff after two failures"
    );
}

#[tokio::test]
async fn changed_content_is_updated_in_place_not_duplicated() {
    let server = FixtureServer::start().await;
    let feed = |title: &str| {
        format!(
            "<rss version=\"2.0\"><channel><title>t</title><item><title>{title}</title><link>https://n.example.org/a?utm_source=x</link><description>the tribunal</description></item></channel></rss>"
        )
    };
    server.put("feed.xml", "application/rss+xml", feed("First headline"));
    let deployment = Deployment::new(
        "rate_per_host = 50.0",
        &source("n", &server.url("/f/feed.xml")),
    );
    let config = deployment.config();
    let pipeline = Pipeline::open(config.clone()).unwrap();
    pipeline.crawl(&config.sources, None).await.unwrap();
    server.put(
        "feed.xml",
        "application/rss+xml",
        feed("Corrected headline"),
    );
    let report = pipeline.crawl(&config.sources, None).await.unwrap();
    assert_eq!(report.new_documents, 1, "the edited item is re-indexed");
    assert_eq!(
        search(&pipeline, "tribunal"),
        vec!["Corrected headline"],
        "one document, the newest version"
    );
}

#[tokio::test]
async fn per_host_rate_limit_spaces_requests() {
    let server = FixtureServer::start().await;
    let body = std::fs::read(feed_fixtures().join("feed-rs/rss_2.0_bbc.xml")).unwrap();
    let mut sources = String::new();
    for i in 0..4 {
        server.put(&format!("{i}.xml"), "application/rss+xml", body.clone());
        sources.push_str(&source(
            &format!("s{i}"),
            &server.url(&format!("/f/{i}.xml")),
        ));
    }
    // Four sources on one host at 4 requests a second: 250 ms between requests.
    let deployment = Deployment::new("rate_per_host = 4.0\nconcurrency = 8", &sources);
    let (_pipeline, report) = crate::support::crawl_all(&deployment).await;
    assert_eq!(report.failed().count(), 0);
    let mut times = server.request_times("/f/");
    times.sort();
    assert_eq!(times.len(), 4);
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap + TIMING_TOLERANCE >= Duration::from_millis(250),
            "requests {gap:?} apart"
        );
    }
}

#[tokio::test]
async fn a_crash_before_percolation_is_caught_up_once() {
    let server = FixtureServer::start().await;
    server.put_file(
        "bbc.xml",
        "application/rss+xml",
        &feed_fixtures().join("feed-rs/rss_2.0_bbc.xml"),
    );
    let deployment = Deployment::new(
        "rate_per_host = 50.0",
        &source("bbc", &server.url("/f/bbc.xml")),
    );
    deployment.add_query("aurelius", "aurelius");
    let config = deployment.config();
    {
        let pipeline = Pipeline::open(config.clone()).unwrap();
        pipeline.crawl(&config.sources, None).await.unwrap();
    }
    // Simulate a crash between the index commit and the recording of matches.
    let state = rusqlite::Connection::open(config.state_path()).unwrap();
    state
        .execute_batch("DELETE FROM matches; DELETE FROM meta;")
        .unwrap();
    drop(state);
    let all = |pipeline: &Pipeline| {
        let store = &pipeline.read_side().store;
        store
            .matches_between(
                "aurelius",
                chrono::DateTime::UNIX_EPOCH,
                chrono::Utc::now() + chrono::Duration::days(1),
            )
            .unwrap()
            .len()
    };
    let pipeline = Pipeline::open(config.clone()).unwrap();
    assert_eq!(
        all(&pipeline),
        1,
        "opening the pipeline percolated the left-over batch"
    );
    drop(pipeline);
    let pipeline = Pipeline::open(config.clone()).unwrap();
    assert_eq!(pipeline.read_side().store.percolated_upto().unwrap(), 1);
    assert_eq!(all(&pipeline), 1, "and only once");
}

#[tokio::test]
async fn run_polls_each_source_at_its_interval_and_stops_on_shutdown() {
    let server = FixtureServer::start().await;
    server.put_file(
        "bbc.xml",
        "application/rss+xml",
        &feed_fixtures().join("feed-rs/rss_2.0_bbc.xml"),
    );
    let deployment = Deployment::new(
        "rate_per_host = 50.0",
        &source("bbc", &server.url("/f/bbc.xml")),
    );
    let pipeline = Pipeline::open(deployment.config()).unwrap();
    let started = std::time::Instant::now();
    pipeline
        .run(tokio::time::sleep(Duration::from_millis(1500)), None)
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "shutdown is prompt"
    );
    assert_eq!(
        server.request_times("/f/bbc.xml").len(),
        1,
        "due once, then not again within its 10-minute interval"
    );
    let state = pipeline
        .read_side()
        .store
        .source_state("bbc")
        .unwrap()
        .unwrap();
    assert!(
        state.next_due.unwrap() > chrono::Utc::now() + chrono::Duration::minutes(8),
        "the 10-minute interval, less at most 10% jitter"
    );
}

#[tokio::test]
async fn a_second_writer_on_the_same_index_gets_a_clear_error() {
    let deployment = Deployment::new("", "");
    let first = Pipeline::open(deployment.config()).unwrap();
    let error = Pipeline::open(deployment.config())
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("another vigil process"), "{error}");
    drop(first);
    assert!(
        Pipeline::open(deployment.config()).is_ok(),
        "the lock goes with the writer"
    );
}

#[tokio::test]
async fn exact_duplicates_are_dropped_and_near_copies_share_a_group() {
    let server = FixtureServer::start().await;
    let story = "Leaked files from the court's hacked servers prove the prosecutor coordinated the warrant with foreign intelligence services, insiders claim, and more documents will follow in the coming days";
    let item = |link: &str, text: &str| {
        format!(
            "<item><title>Leaked files</title><link>{link}</link><description>{text}</description></item>"
        )
    };
    let feed = |items: String| {
        format!("<rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>")
    };
    // Outlet one posts the story twice under two URLs: the second is the same text again.
    server.put(
        "one.xml",
        "application/rss+xml",
        feed(
            item("https://one.example.org/a", story)
                + &item("https://one.example.org/a-copy", story),
        ),
    );
    // Outlet two posts it word for word; outlet three with an edit.
    server.put(
        "two.xml",
        "application/rss+xml",
        feed(item("https://two.example.org/b", story)),
    );
    server.put(
        "three.xml",
        "application/rss+xml",
        feed(item(
            "https://three.example.org/c",
            &story.replace("services", "agencies"),
        )),
    );
    // A news-search feed links outlet one's article, with tracking parameters.
    server.put(
        "search.xml",
        "application/rss+xml",
        feed(item(
            "https://one.example.org/a?utm_source=search",
            "snippet",
        )),
    );
    let sources = ["one", "two", "three", "search"]
        .iter()
        .map(|n| source(n, &server.url(&format!("/f/{n}.xml"))))
        .collect::<String>();
    let deployment = Deployment::new("rate_per_host = 50.0", &sources);
    let config = deployment.config();
    let pipeline = Pipeline::open(config.clone()).unwrap();
    let report = pipeline.crawl(&config.sources, None).await.unwrap();
    assert!(
        report.duplicates >= 1,
        "outlet one's repeat at least: {report:#?}"
    );
    let hits = crate::support::search(&pipeline, "leaked", 10);
    let read = pipeline.read_side();
    let ids: Vec<String> = hits.iter().map(|h| h.id.clone()).collect();
    let docs = read.reader.docs_by_id(&ids).unwrap();
    let groups: std::collections::HashSet<&str> =
        docs.iter().map(|d| d.dup_group.as_str()).collect();
    assert_eq!(docs.len(), 3);
    assert_eq!(
        groups.len(),
        1,
        "one near-duplicate group across three outlets: {docs:#?}"
    );

    // Groups survive a restart: a later copy joins the same group.
    drop(pipeline);
    server.put(
        "two.xml",
        "application/rss+xml",
        feed(item(
            "https://two.example.org/b2",
            &format!("{story}, the outlet repeats"),
        )),
    );
    let pipeline = Pipeline::open(config.clone()).unwrap();
    pipeline.crawl(&config.sources, None).await.unwrap();
    let later = crate::support::search(&pipeline, "leaked", 10);
    let read = pipeline.read_side();
    let ids: Vec<String> = later.iter().map(|h| h.id.clone()).collect();
    let groups: std::collections::HashSet<String> = read
        .reader
        .docs_by_id(&ids)
        .unwrap()
        .into_iter()
        .map(|d| d.dup_group)
        .collect();
    assert_eq!((later.len(), groups.len()), (4, 1));
}

/// Repeats are signal: a source posting the same text again under a new link (a daily
/// briefing, an account repeating itself) stays one document, and each repeat is recorded with
/// its time, in the same poll or a later one, once however often it is crawled.
#[tokio::test]
async fn the_same_text_under_a_new_link_is_one_document_and_recorded_repeats() {
    let server = FixtureServer::start().await;
    let item = |n: u32, day: u32| {
        format!(
            "<item><title>Daily briefing from the registry</title><link>https://daily.example.org/{n}</link>\
             <pubDate>{day:02} Nov 2026 08:00:00 GMT</pubDate>\
             <description>The registry answered questions from journalists about the schedule of hearings.</description></item>"
        )
    };
    let feed = |items: &[String]| {
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Daily</title>{}</channel></rss>",
            items.concat()
        )
    };
    server.put("daily.xml", "application/rss+xml", feed(&[item(1, 23)]));
    let deployment = Deployment::new(
        "rate_per_host = 50.0",
        &source("daily", &server.url("/f/daily.xml")),
    );
    let config = deployment.config();
    let pipeline = Pipeline::open(config.clone()).unwrap();
    let first = pipeline.crawl(&config.sources, None).await.unwrap();
    assert_eq!(first.new_documents, 1, "{first:#?}");
    let hits = crate::support::search(&pipeline, "briefing", 10);
    assert_eq!(hits.len(), 1);
    let id = hits[0].id.clone();

    // The next poll carries it again under two new links.
    server.put(
        "daily.xml",
        "application/rss+xml",
        feed(&[item(3, 25), item(2, 24), item(1, 23)]),
    );
    let second = pipeline.crawl(&config.sources, None).await.unwrap();
    assert_eq!(second.new_documents, 0, "{second:#?}");
    assert_eq!(crate::support::search(&pipeline, "briefing", 10).len(), 1);
    let repeats = pipeline
        .store()
        .repeats_of(std::slice::from_ref(&id))
        .unwrap();
    let days: Vec<String> = repeats
        .iter()
        .map(|(_, at)| at.format("%d").to_string())
        .collect();
    assert_eq!(days, vec!["24", "25"], "{repeats:?}");

    // Crawled again, nothing is recorded twice.
    server.put(
        "daily.xml",
        "application/rss+xml",
        feed(&[item(3, 25), item(2, 24), item(1, 23), String::new()]),
    );
    pipeline.crawl(&config.sources, None).await.unwrap();
    assert_eq!(pipeline.store().repeats_of(&[id]).unwrap().len(), 2);
}

/// One analyst's broken stored-query file is reported and skipped: the other queries still
/// match, search still works, and the file is named in the digest and the CLI.
#[tokio::test]
async fn a_stored_query_that_does_not_load_is_skipped_and_reported() {
    let server = FixtureServer::start().await;
    server.put(
        "feed.xml",
        "application/rss+xml",
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><item><title>The registry publishes its budget</title><link>https://news.example.org/b</link><description>The registry of the court published its budget.</description></item></channel></rss>",
    );
    let deployment = Deployment::new(
        "rate_per_host = 50.0",
        &source("outlet", &server.url("/f/feed.xml")),
    );
    deployment.add_query("budget", "registry AND budget");
    std::fs::write(
        deployment.dir.path().join("queries/broken.toml"),
        "id = \"broken\"\ntitle = \"b\"\nquery = \"court AND (\"\nseverity = \"watch\"\n",
    )
    .unwrap();
    let config = deployment.config();
    let pipeline = Pipeline::open(config.clone()).unwrap();
    let report = pipeline.crawl(&config.sources, None).await.unwrap();
    assert_eq!(report.matches, 1, "{report:#?}");
    assert_eq!(crate::support::search(&pipeline, "registry", 10).len(), 1);
    let read = pipeline.read_side();
    let failures = read.query_failures();
    assert_eq!(failures.len(), 1);
    assert!(failures[0].contains("broken.toml"), "{failures:?}");
    // (The same count is the `vigil_stored_queries_failing` gauge; tests share one process's
    // metrics, so it is not read here.)
    let now = chrono::Utc::now();
    let digest = vigil::alert::digest::build(
        read,
        pipeline.config(),
        &vigil::alert::digest::Selection::all(),
        now - chrono::Duration::days(1),
        now,
    )
    .unwrap();
    let rendered = vigil::alert::render::render(&digest);
    assert!(
        rendered.markdown.contains("Stored queries skipped")
            && rendered.markdown.contains("broken"),
        "{}",
        rendered.markdown
    );
    let listed = crate::support::vigil(
        &["queries", "list", "--dir", "queries"],
        deployment.dir.path(),
    );
    assert!(!listed.status.success());
    assert!(String::from_utf8_lossy(&listed.stdout).contains("budget"));
    assert!(String::from_utf8_lossy(&listed.stderr).contains("broken.toml"));
}

/// A title alone says too little to call two items the same: a title-only item under a new
/// link on a later poll is a new document, not a repeat.
#[tokio::test]
async fn a_title_only_item_under_a_new_link_is_a_new_document() {
    let server = FixtureServer::start().await;
    let feed = |n: u32| {
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Briefs</title>\
             <item><title>Morning brief on the registry</title><link>https://briefs.example.org/{n}</link></item>\
             </channel></rss>"
        )
    };
    server.put("briefs.xml", "application/rss+xml", feed(1));
    let deployment = Deployment::new(
        "rate_per_host = 50.0",
        &(source("briefs", &server.url("/f/briefs.xml")) + "full_text = \"never\"\n"),
    );
    let config = deployment.config();
    let pipeline = Pipeline::open(config.clone()).unwrap();
    assert_eq!(
        pipeline
            .crawl(&config.sources, None)
            .await
            .unwrap()
            .new_documents,
        1
    );
    server.put("briefs.xml", "application/rss+xml", feed(2));
    let second = pipeline.crawl(&config.sources, None).await.unwrap();
    assert_eq!(second.new_documents, 1, "{second:#?}");
    assert_eq!(crate::support::search(&pipeline, "brief", 10).len(), 2);
}

/// What nobody wrote a query for: every document of a source marked `court_focused` is court
/// coverage (matched by the stored query made from the configuration, then clustered into a
/// narrative), while the same text from an ordinary source matches nothing.
#[tokio::test]
async fn court_focused_sources_are_court_coverage_without_a_query() {
    let server = FixtureServer::start().await;
    let when = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc2822();
    let feed = |site: &str| {
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{site}</title>\
             <item><title>Registry staff told to work from home this week</title>\
             <link>https://{site}.example.org/1</link><pubDate>{when}</pubDate>\
             <description>Staff of the registry were told to work from home while the building is inspected.</description>\
             </item></channel></rss>"
        )
    };
    server.put("watch.xml", "application/rss+xml", feed("watch"));
    server.put("other.xml", "application/rss+xml", feed("other"));
    let sources = format!(
        "{}court_focused = true\n\n{}",
        source("watch", &server.url("/f/watch.xml")),
        source("other", &server.url("/f/other.xml"))
    );
    let deployment = Deployment::new("rate_per_host = 50.0", &sources);
    deployment.add_query("hearings", "hearing");
    let (pipeline, report) = crate::support::crawl_all(&deployment).await;
    assert_eq!(report.new_documents, 2, "{report:#?}");
    let read = pipeline.read_side();
    let queries = read.queries();
    let focused = queries
        .iter()
        .find(|q| q.id == vigil::query::stored::COURT_FOCUSED_ID)
        .expect("the query made from the court-focused sources");
    assert_eq!(focused.severity, vigil::types::Severity::Info);
    let now = chrono::Utc::now();
    let matched: Vec<String> = read
        .store
        .matches_between(focused.id.as_str(), now - chrono::Duration::days(1), now)
        .unwrap()
        .into_iter()
        .map(|m| m.source)
        .collect();
    assert_eq!(matched, vec!["watch"]);
    let narratives = read
        .narratives(now - chrono::Duration::days(1), now)
        .unwrap();
    let sources_in = |name: &str| {
        narratives
            .iter()
            .any(|n| n.sources.iter().any(|(s, _)| s == name))
    };
    assert!(
        sources_in("watch") && !sources_in("other"),
        "{narratives:?}"
    );
}
