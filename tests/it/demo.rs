//! The bundled demo: the shipped stored queries flag each seeded narrative and leave the
//! ordinary coverage alone, through the real crawler on a local server; and `vigil demo --once`
//! runs as the README says.

use std::collections::BTreeSet;
use vigil::pipeline::Pipeline;

#[tokio::test]
async fn shipped_queries_flag_the_seeded_narratives_and_nothing_else() {
    let data = tempfile::tempdir().unwrap();
    let (_server, config) = crate::support::demo_corpus(data.path()).await;
    let pipeline = Pipeline::open(config.clone()).unwrap();
    let report = pipeline.crawl(&config.sources, None).await.unwrap();
    assert_eq!(report.failed().count(), 0, "{report:#?}");
    assert!(config.sources.len() >= 6);
    assert!(report.new_documents >= 300, "{}", report.new_documents);

    let activity = pipeline.read_side().activity(chrono::Utc::now()).unwrap();
    let flagged: BTreeSet<&str> = activity
        .iter()
        .filter(|a| a.assessment.flagged)
        .map(|a| a.query_id.as_str())
        .collect();
    assert_eq!(
        flagged,
        BTreeSet::from(["hacked-files", "political-tool", "void-warrant"])
    );
    let hacked = activity
        .iter()
        .find(|a| a.query_id == "hacked-files")
        .unwrap();
    // Its hourly volume spikes, in a burst, with no expected event to explain it.
    assert!(
        hacked.spikes.iter().any(|s| s.burst && s.urgent),
        "{:?}",
        hacked.spikes
    );
    let copies = hacked
        .copies
        .as_ref()
        .expect("the copy-paste narrative is found as copies");
    assert!(copies.sources.len() >= 3, "{copies:?}");
    assert!(
        hacked.first_seen.as_ref().unwrap().published < hacked.window_start,
        "it built up over days"
    );
    let languages: BTreeSet<String> = {
        let read = pipeline.read_side();
        let query = vigil::query::compile(read.reader.index(), "*").unwrap();
        let filter = vigil::index::reader::SearchFilter {
            limit: 1000,
            ..Default::default()
        };
        read.reader
            .search(&*query, &filter)
            .unwrap()
            .hits
            .into_iter()
            .map(|h| h.lang)
            .collect()
    };
    assert!(
        languages.contains("en") && languages.contains("fr"),
        "{languages:?}"
    );
}

#[test]
fn demo_once_runs_the_whole_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["demo", "--once"])
        .current_dir(dir.path())
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "crawled 10 sources",
        "== Flagged narratives ==",
        "▲ \"Hacked files prove …\"",
        "# Vigil digest",
        "## Stored queries",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
    assert!(dir.path().join("index/demo/digest.md").is_file());
}
