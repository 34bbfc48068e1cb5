//! The leak watch: the protocol of tests/fixtures/leakwatch/README.md on fewer trials (recall on
//! changed paragraphs, no false match over the four corpora), and end to end: a document
//! registered from the CLI, a feed on 127.0.0.1 publishing a changed paragraph of it, the
//! crawled page quarantined (never indexed), one security alert on the security office's channel
//! however often the page is seen, its evidence archived, and the web showing it to the
//! security role only.

#[path = "../../benches/leak_trials.rs"]
mod trials;

use crate::support::{FixtureServer, vigil};
use trials::*;
use vigil::leakwatch::{self, Fingerprinter, Watch};

#[test]
fn changed_paragraphs_are_found_and_the_corpora_never_match() {
    let dir = tempfile::tempdir().unwrap();
    let config = vigil::config::Config::load(&leakwatch_config(dir.path(), "")).unwrap();
    let settings = config.leakwatch.clone().unwrap();
    std::fs::create_dir_all(&config.data_dir).unwrap();
    let store = vigil::store::Store::open(&config.state_path()).unwrap();
    let fp = Fingerprinter::from_settings(&settings).unwrap();
    let (tuned, heldout) = (registered(), registered_in("heldout"));
    let now = chrono::Utc::now();
    for (name, text) in tuned.iter().chain(&heldout) {
        leakwatch::register(&store, &fp, name, text, "test", now).unwrap();
    }
    let watch = Watch::load(&store, &fp, settings.threshold, settings.min_matches).unwrap();
    let news: Vec<_> = CORPORA.iter().flat_map(|c| corpus(c)).collect();
    assert!(news.len() > 1_500, "{}", news.len());
    let vocabulary = vocabulary(&news);
    for (documents, goal) in [(&tuned, 0.9), (&heldout, 0.9)] {
        let mut rng = Rng::new(0x5eed_0000 + 30);
        let trials = 400;
        let mut found = 0;
        for _ in 0..trials {
            let (source, page) = trial(documents, &news, &vocabulary, &mut rng);
            let hits = watch.check(&fp, &format!("{}\n{}", page.title, page.body));
            assert!(
                hits.iter().all(|h| h.label == documents[source].0),
                "{hits:?}"
            );
            found += usize::from(!hits.is_empty());
        }
        let recall = found as f64 / trials as f64;
        assert!(recall >= goal, "recall {recall} under {goal}");
    }
    for doc in &news {
        let hits = watch.check(&fp, &format!("{}\n{}", doc.title, doc.body));
        assert!(hits.is_empty(), "{} matched {hits:?}", doc.url);
    }
    // A different key finds nothing, and the watch refuses to load under it.
    let other = Fingerprinter::new(&vigil::types::Secret::new(
        "another key, long enough".into(),
    ));
    assert!(matches!(
        Watch::load(&store, &other, 0.15, 5),
        Err(leakwatch::LeakError::KeyChanged(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaked_paragraph_is_quarantined_alerted_once_and_archived() {
    let server = FixtureServer::start().await;
    let memo = std::fs::read_to_string(
        root().join("tests/fixtures/leakwatch/registered/witness-relocation-memo.txt"),
    )
    .unwrap();
    // The memo's second paragraph, a tenth of its words replaced, inside an ordinary story.
    let paragraph = paragraphs(&memo, 40)[1];
    let words: Vec<&str> = paragraph.split_whitespace().collect();
    let changed: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if i % 10 == 3 {
                "reportedly".to_string()
            } else {
                w.to_string()
            }
        })
        .collect();
    let now = chrono::Utc::now().to_rfc2822();
    let feed = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Leaks</title>
<item><title>Court hearing resumes</title><link>{0}/f/ordinary.html</link><guid>o1</guid><description>The court resumed the hearing on Monday with the testimony of an expert on the history of the region.</description><pubDate>{1}</pubDate></item>
<item><title>What the hackers found at the court</title><link>{0}/f/leak.html</link><guid>l1</guid><description>An anonymous channel posted what it says is an internal document. {2}</description><pubDate>{1}</pubDate></item>
</channel></rss>"#,
        server.base,
        now,
        changed.join(" ")
    );
    server.put("feed.rss", "application/rss+xml", feed);
    let dir = tempfile::tempdir().unwrap();
    let sources = format!(
        "rate_per_host = 50.0\n\n[[sources]]\nname = \"anon\"\nkind = \"feed\"\nurl = \"{}\"\nallow_private = true\nfull_text = \"never\"\n",
        server.url("/f/feed.rss")
    );
    leakwatch_config(dir.path(), &sources);
    std::fs::create_dir_all(dir.path().join("queries")).unwrap();
    std::fs::write(
        dir.path().join("queries/court.toml"),
        "id = \"court\"\ntitle = \"court\"\nquery = 'court'\nseverity = \"watch\"\n",
    )
    .unwrap();
    let file = root().join("tests/fixtures/leakwatch/registered/witness-relocation-memo.txt");
    let output = vigil(
        &[
            "leakwatch",
            "add",
            file.to_str().unwrap(),
            "--label",
            "Witness memo",
        ],
        dir.path(),
    );
    assert!(output.status.success(), "{output:?}");
    // PDF is refused with what to do instead.
    let pdf = dir.path().join("filing.pdf");
    std::fs::write(&pdf, b"%PDF-1.7 ...").unwrap();
    let output = vigil(
        &[
            "leakwatch",
            "add",
            pdf.to_str().unwrap(),
            "--label",
            "Filing",
        ],
        dir.path(),
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("pdftotext"));
    let listed = vigil(&["leakwatch", "list"], dir.path());
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("Witness memo"), "{listed}");
    // Only fingerprints are stored: no word of the memo is in the database file.
    let state = std::fs::read(dir.path().join("data/state.sqlite")).unwrap();
    for word in ["relocated", "P-0417", "welfare", "escorts"] {
        assert!(
            !state.windows(word.len()).any(|w| w == word.as_bytes()),
            "{word} is stored"
        );
    }

    let config = vigil::config::Config::load(&dir.path().join("vigil.toml")).unwrap();
    let store;
    let leak_id;
    {
        let pipeline = vigil::pipeline::Pipeline::open(config.clone()).unwrap();
        for _ in 0..2 {
            let report = pipeline.crawl(&config.sources, None).await.unwrap();
            assert_eq!(report.failed().count(), 0, "{report:#?}");
        }
        store = pipeline.store().clone();
        // The ordinary story is indexed; the leaked page is not.
        let hits = crate::support::search(&pipeline, "court", 10);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].title.text, "Court hearing resumes");
        let matches = store.leak_matches(10).unwrap();
        assert_eq!(matches.len(), 1, "{matches:?}");
        assert_eq!(matches[0].label, "Witness memo");
        leak_id = matches[0].doc_id.clone();
        // One alert, on the security office's channel, though the page was crawled twice.
        let outbox = store.outbox(100).unwrap();
        let security: Vec<_> = outbox.iter().filter(|e| e.origin == "leakwatch").collect();
        assert_eq!(security.len(), 1, "{outbox:?}");
        assert_eq!(security[0].channel, "security-desk");
        assert!(security[0].subject.contains("Witness memo"));
    }
    // Its evidence is archived by the next round.
    let output = vigil(&["evidence", "sweep", "--no-refetch"], dir.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("1 archived, 0 failed"), "{stdout}");

    // The web: only the security role (and admins) see the leak watch and its alert.
    let (app, _, tokens) = crate::support::app_with_users(
        &config,
        &[
            ("analyst", vigil::auth::Role::Analyst),
            ("officer", vigil::auth::Role::Security),
        ],
    );
    let call = |method: &'static str, uri: String, token: &str| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            let (status, _, body) = crate::support::request(&app, method, &uri, &token).await;
            (status, String::from_utf8_lossy(&body).into_owned())
        }
    };
    let (analyst, officer) = (&tokens[0], &tokens[1]);
    let (status, _) = call("GET", "/security".into(), analyst).await;
    assert_eq!(status, 403);
    let (status, page) = call("GET", "/security".into(), officer).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Witness memo") && page.contains("WARC records"),
        "{page}"
    );
    for uri in ["/digests", "/api/digests"] {
        let (_, page) = call("GET", uri.into(), analyst).await;
        assert!(!page.contains("Witness memo"), "{uri}: {page}");
        let (_, page) = call("GET", uri.into(), officer).await;
        assert!(page.contains("Witness memo"), "{uri}: {page}");
    }
    let (_, page) = call("GET", "/".into(), analyst).await;
    assert!(!page.contains("href=\"/security\""));
    let (_, page) = call("GET", "/".into(), officer).await;
    assert!(page.contains("href=\"/security\""));
    let (status, _) = call("POST", format!("/security/evidence/{leak_id}"), analyst).await;
    assert_eq!(status, 403);
    let (status, body) = call("POST", format!("/security/evidence/{leak_id}"), officer).await;
    assert_eq!(status, 200);
    assert!(body.contains("manifest.json") && body.contains("WARC/1.1"));

    // A changed key stops the crawler rather than letting it miss everything.
    std::fs::write(
        dir.path().join("leak.key"),
        "a different key that is long enough\n",
    )
    .unwrap();
    let error = vigil::pipeline::Pipeline::open(config).err().unwrap();
    assert!(error.to_string().contains("not the one"), "{error}");
}
