//! Nothing lost, nothing twice: `vigil crawl` is killed with SIGKILL at varied moments while it
//! crawls a local corpus, restarted each time, and at the end the index holds every item exactly
//! once, the "seen" marks agree, and a stored query has recorded each match once.

use crate::support::{Deployment, FixtureServer};
use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::Duration;
use vigil::index::reader::SearchFilter;
use vigil::readside::ReadSide;

const FEEDS: usize = 40;
const ITEMS_PER_FEED: usize = 50;

#[tokio::test]
async fn sigkill_at_any_moment_loses_nothing_and_duplicates_nothing() {
    let server = FixtureServer::start_on([127, 0, 0, 40]).await;
    let mut sources = String::new();
    for feed in 0..FEEDS {
        let mut body = String::from("<rss version=\"2.0\"><channel><title>corpus</title>");
        for item in 0..ITEMS_PER_FEED {
            body.push_str(&format!(
                "<item><title>crash corpus item {feed} {item}</title><link>https://corpus.example.org/{feed}/{item}</link><description>the tribunal and the warrant, item {item} of feed {feed}</description></item>"
            ));
        }
        body.push_str("</channel></rss>");
        server.put(&format!("{feed}.xml"), "application/rss+xml", body);
        sources.push_str(&crate::support::source(
            &format!("feed{feed}"),
            &server.url(&format!("/f/{feed}.xml")),
        ));
    }
    let deployment = Deployment::new("rate_per_host = 100.0", &sources);
    deployment.add_query("everything", "tribunal");
    let dir = deployment.dir.path().to_path_buf();

    // Kill moments spread over the whole crawl (start-up, fetching, committing, percolating).
    let kill_after_ms = [40u64, 150, 300, 450, 600, 800, 1000, 1300];
    let kills = tokio::task::spawn_blocking(move || {
        let mut killed = 0;
        for delay in kill_after_ms {
            let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
                .arg("crawl")
                .current_dir(&dir)
                .env("RUST_LOG", "off")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(delay));
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap(); // SIGKILL
                killed += 1;
            }
            child.wait().unwrap();
        }
        let status = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .arg("crawl")
            .current_dir(&dir)
            .env("RUST_LOG", "off")
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "the final crawl completes");
        killed
    })
    .await
    .unwrap();
    assert!(
        kills >= 4,
        "the crawl was actually interrupted ({kills} kills)"
    );

    let read = ReadSide::open(&deployment.config()).unwrap();
    let all = vigil::query::compile(read.reader.index(), "corpus").unwrap();
    let results = read
        .reader
        .search(
            &*all,
            &SearchFilter {
                limit: 1000,
                ..SearchFilter::default()
            },
        )
        .unwrap();
    let expected = FEEDS * ITEMS_PER_FEED;
    assert_eq!(results.total, expected, "every item is in the index once");
    assert_eq!(
        read.reader.num_docs() as usize,
        expected,
        "and nothing else"
    );
    let mut ids = HashSet::new();
    for page in 0..expected.div_ceil(1000) {
        let filter = SearchFilter {
            limit: 1000,
            offset: page * 1000,
            ..SearchFilter::default()
        };
        for hit in read.reader.search(&*all, &filter).unwrap().hits {
            assert!(ids.insert(hit.id.clone()), "duplicate document {}", hit.id);
        }
    }
    assert_eq!(ids.len(), expected);
    assert_eq!(
        read.store.seen_count().unwrap() as usize,
        expected,
        "seen marks agree with the index"
    );
    let matches = read
        .store
        .matches_between(
            "everything",
            chrono::DateTime::UNIX_EPOCH,
            chrono::Utc::now() + chrono::Duration::days(1),
        )
        .unwrap();
    assert_eq!(matches.len(), expected, "each match recorded once");
}
