//! Evidence that holds up: documents crawled from 127.0.0.1 archived as WARC 1.1 (the bytes as
//! fetched, the page fetched again, a deleted page recorded as gone), every record read back and
//! its digests checked by the independent `warcio`; the hash-chained evidence and audit logs
//! verified and a tampered byte or row named; a flagged narrative's bundle exported and checked
//! with `sha256sum -c`.

use crate::support::{Deployment, FixtureServer, run_python, source, vigil, write_demo_config};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Every record of the files, read by warcio with digest checking that raises on a mismatch:
/// one line per record, `type<TAB>target<TAB>payload bytes<TAB>payload sha256`.
fn read_with_warcio(files: &[PathBuf]) -> Vec<Vec<String>> {
    let script = r#"
import sys, hashlib
from warcio.archiveiterator import ArchiveIterator
for path in sys.argv[1:]:
    with open(path, 'rb') as f:
        for r in ArchiveIterator(f, check_digests='raise'):
            body = r.content_stream().read()
            print('\t'.join([r.rec_type, r.rec_headers.get_header('WARC-Target-URI') or '',
                             str(len(body)), hashlib.sha256(body).hexdigest(),
                             r.rec_headers.protocol]))
"#;
    let args: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();
    let out = run_python(script, &args);
    // `warcio check` too: the tool a recipient runs, exiting non-zero on any bad digest.
    let check = std::process::Command::new(crate::support::python())
        .args(["-m", "warcio.cli", "check", "-v"])
        .args(&args)
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    out.lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn warc_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for narrative in std::fs::read_dir(dir.join("warc")).unwrap() {
        for file in std::fs::read_dir(narrative.unwrap().path()).unwrap() {
            out.push(file.unwrap().path());
        }
    }
    out.sort();
    out
}

fn sha256(bytes: &[u8]) -> String {
    vigil::store::sha256_hex(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_archived_as_fetched_refetched_and_verified() {
    let server = FixtureServer::start().await;
    let article = "<html><head><title>Registry statement</title></head><body><article><h1>Registry statement</h1><p>The Registry of the court confirmed today that the systems affected by the incident were isolated and that an investigation continues with national authorities.</p></article></body></html>";
    let deleted = "<html><body><article><p>A post about the court that its author deleted a few hours later, after the claim had been shared widely by other accounts.</p></article></body></html>";
    server.put("a1.html", "text/html; charset=utf-8", article);
    server.put("a2.html", "text/html; charset=utf-8", deleted);
    let feed = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Court registry statement on the incident</title><link>{}</link><guid>a1</guid><description>The court said.</description><pubDate>{}</pubDate></item>
<item><title>Court claim later deleted</title><link>{}</link><guid>a2</guid><description>The court claim.</description><pubDate>{}</pubDate></item>
</channel></rss>"#,
        server.url("/to?url=/f/a1.html"),
        chrono::Utc::now().to_rfc2822(),
        server.url("/f/a2.html"),
        chrono::Utc::now().to_rfc2822(),
    );
    // The feed goes out gzip-compressed: the archive keeps the decoded body and says so.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(feed.as_bytes()).unwrap();
    server.put_with_headers(
        "feed.rss",
        "application/rss+xml",
        &[("content-encoding", "gzip")],
        gz.finish().unwrap(),
    );
    let deployment = Deployment::new(
        "rate_per_host = 50.0",
        &format!(
            "{}full_text = \"always\"\n",
            source("wire", &server.url("/f/feed.rss"))
        ),
    );
    deployment.add_query("court", "court");
    let (pipeline, report) = crate::support::crawl_all(&deployment).await;
    assert_eq!(report.new_documents, 2, "{report:#?}");
    let spool = pipeline.store().spool_size().unwrap();
    // The feed once (both documents) and each article page.
    assert_eq!(spool.responses, 3, "{spool:?}");
    let hits = crate::support::search(&pipeline, "court", 10);
    let id_of = |title: &str| {
        hits.iter()
            .find(|h| h.title.text.contains(title))
            .map(|h| h.id.clone())
            .unwrap()
    };
    let (kept, gone) = (id_of("registry statement"), id_of("later deleted"));
    drop(pipeline);

    // The publisher deletes the second page; then both are archived on demand.
    server.remove("a2.html");
    let dir = deployment.dir.path();
    for id in [&kept, &gone] {
        let output = vigil(&["evidence", "capture", id], dir);
        assert!(output.status.success(), "{output:?}");
    }
    let config = deployment.config();
    let evidence = config.evidence_dir();
    let files = warc_files(&evidence);
    assert_eq!(files.len(), 2, "{files:?}");
    let records = read_with_warcio(&files);
    let kinds: Vec<&str> = records.iter().map(|r| r[0].as_str()).collect();
    assert!(records.iter().all(|r| r[4] == "WARC/1.1"), "{records:?}");
    // Kept page: warcinfo, then feed, article (spooled) and article (fetched again), each as
    // request, response and metadata. Deleted page: warcinfo, feed and article (spooled), then
    // a metadata record saying the page is gone; the feed, archived already under the same
    // name, is a revisit record pointing at the first copy.
    assert_eq!(kinds.iter().filter(|k| **k == "warcinfo").count(), 2);
    assert_eq!(
        kinds.iter().filter(|k| **k == "response").count(),
        4,
        "{kinds:?}"
    );
    assert_eq!(kinds.iter().filter(|k| **k == "revisit").count(), 1);
    assert_eq!(kinds.iter().filter(|k| **k == "request").count(), 5);
    assert_eq!(kinds.iter().filter(|k| **k == "metadata").count(), 6);
    // The bytes as fetched: the feed decoded from gzip, byte for byte, and the article page.
    let responses: Vec<&Vec<String>> = records.iter().filter(|r| r[0] == "response").collect();
    assert!(
        responses.iter().any(|r| r[3] == sha256(feed.as_bytes())),
        "{responses:?}"
    );
    assert_eq!(
        responses
            .iter()
            .filter(|r| r[3] == sha256(article.as_bytes()))
            .count(),
        2,
        "the spooled article and the one fetched again: {responses:?}"
    );
    assert!(responses.iter().any(|r| r[3] == sha256(deleted.as_bytes())));
    let text: String = files
        .iter()
        .map(|f| String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned())
        .collect();
    assert!(
        text.contains("vigil-capture: refetch-failed"),
        "a deleted page is recorded"
    );
    assert!(text.contains("http status 404"), "its status is named");
    assert!(
        text.contains("vigil-redirect: 302 "),
        "the redirect chain is recorded"
    );
    assert!(
        text.contains("any content-coding (gzip, br, deflate) and chunking removed"),
        "the decoding is stated"
    );

    // The chain and every record verify; the capture was audited.
    let output = vigil(&["evidence", "verify"], dir);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("evidence log: 18 entries over 2 files"),
        "{stdout}"
    );
    // A byte changed in an archived file is found and named.
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let at = bytes.len() - 10;
    bytes[at] ^= 1;
    std::fs::write(&files[0], &bytes).unwrap();
    let output = vigil(&["evidence", "verify"], dir);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("FAILED at evidence entry")
            && stdout.contains("does not match its SHA-256"),
        "{stdout}"
    );
    // The log itself refuses to be rewritten.
    let conn = rusqlite::Connection::open(config.state_path()).unwrap();
    let refused = conn.execute("UPDATE evidence_log SET sha256 = 'x' WHERE seq = 1", []);
    assert!(
        refused.unwrap_err().to_string().contains("append-only"),
        "updates are refused"
    );
    assert!(conn.execute("DELETE FROM evidence_log", []).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flagged_narratives_bundle_exports_and_checks_with_standard_tools() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (server, _) = crate::support::demo_corpus(&data).await;
    let path = write_demo_config(dir.path(), &data, &server.base_url);
    let desk = dir.path().join("desk");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!(
        "\n[[channels]]\nname = \"desk\"\nkind = \"folder\"\npath = {desk:?}\n\n[alerts]\nchannels = [\"desk\"]\n"
    ));
    std::fs::write(&path, text).unwrap();
    let config = vigil::config::Config::load(&path).unwrap();
    let pipeline = vigil::pipeline::Pipeline::open(config.clone()).unwrap();
    let report = pipeline.crawl(&config.sources, None).await.unwrap();
    assert_eq!(report.failed().count(), 0, "{report:#?}");
    let now = chrono::Utc::now();
    let alerted =
        vigil::alert::tick_alerts(pipeline.read_side(), pipeline.store(), &config, now).unwrap();
    assert!(!alerted.is_empty(), "the demo has urgent narratives");
    let flagged = pipeline
        .store()
        .flagged_narratives(now - chrono::Duration::days(1))
        .unwrap();
    drop(pipeline);

    // One round archives every flagged narrative's documents (the demo's pages live on
    // `.example` hosts, so nothing is fetched again here; the other test covers that).
    let output = vigil(&["evidence", "sweep", "--no-refetch"], dir.path());
    assert!(output.status.success(), "{output:?}");
    // A second round has nothing left to do.
    let output = vigil(&["evidence", "sweep", "--no-refetch"], dir.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("0 archived, 0 failed"), "{stdout}");

    let narrative = &flagged[0];
    let bundle = dir.path().join("bundle.tar");
    let output = vigil(
        &[
            "evidence",
            "export",
            narrative,
            "--out",
            bundle.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(output.status.success(), "{output:?}");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    tar::Archive::new(std::fs::File::open(&bundle).unwrap())
        .unpack(&out)
        .unwrap();
    let check = std::process::Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&out)
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let records = manifest["records"].as_array().unwrap();
    assert!(records.len() >= 4 * 3, "{}", records.len());
    assert_eq!(manifest["narrative"]["id"], narrative.as_str());
    // The chain in the manifest links, and each of this narrative's records hashes to its
    // fields: what a recipient would check.
    let chain = manifest["chain"].as_array().unwrap();
    let mut prev = vigil::store::GENESIS.to_string();
    for link in chain {
        assert_eq!(link["prev"], prev.as_str());
        let hash =
            sha256(format!("{}\n{}", prev, link["fields_sha256"].as_str().unwrap()).as_bytes());
        assert_eq!(link["hash"], hash.as_str());
        prev = hash;
    }
    assert_eq!(manifest["chain_head"], prev.as_str());
    for record in records {
        let fields = record["fields"].as_str().unwrap();
        let link = chain
            .iter()
            .find(|l| l["seq"] == record["entry"]["seq"])
            .unwrap();
        assert_eq!(link["fields_sha256"], sha256(fields.as_bytes()).as_str());
    }
    let files: Vec<PathBuf> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| out.join(f["name"].as_str().unwrap()))
        .collect();
    let read = read_with_warcio(&files);
    assert!(read.iter().any(|r| r[0] == "response"));
    let html = std::fs::read_to_string(out.join("manifest.html")).unwrap();
    assert!(
        html.contains("a person judges") && !html.contains("<script"),
        "{html}"
    );

    // The web: viewers see what is archived; analysts archive and download, audited.
    let (app, _, tokens) = crate::support::app_with_users(
        &config,
        &[
            ("viewer", vigil::auth::Role::Viewer),
            ("analyst", vigil::auth::Role::Analyst),
        ],
    );
    let call = |method: &'static str, uri: String, token: &str| {
        let (app, token) = (app.clone(), token.to_string());
        async move { crate::support::request(&app, method, &uri, &token).await }
    };
    let (viewer, analyst) = (&tokens[0], &tokens[1]);
    let (status, _, page) = call("GET", format!("/narratives/{narrative}"), viewer).await;
    assert_eq!(status, 200);
    let page = String::from_utf8_lossy(&page);
    assert!(page.contains("documents archived as WARC"), "{page}");
    assert!(
        !page.contains("Download the evidence bundle"),
        "viewers get no buttons"
    );
    let (_, _, page) = call("GET", format!("/narratives/{narrative}"), analyst).await;
    assert!(String::from_utf8_lossy(&page).contains("Download the evidence bundle"));
    let (status, _, _) = call("POST", format!("/narratives/{narrative}/evidence"), viewer).await;
    assert_eq!(status, 403);
    let (status, headers, tar_bytes) =
        call("POST", format!("/narratives/{narrative}/evidence"), analyst).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/x-tar");
    let names: Vec<String> = tar::Archive::new(&tar_bytes[..])
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(names.contains(&"manifest.json".to_string()), "{names:?}");
    assert!(names.contains(&"SHA256SUMS".to_string()));
    assert!(names.iter().any(|n| n.ends_with(".warc")));
    let doc = manifest["records"][0]["entry"]["doc_id"].as_str().unwrap();
    let (status, _, body) = call("POST", format!("/api/documents/{doc}/evidence"), analyst).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let (status, _, _) = call("POST", format!("/api/documents/{doc}/evidence"), viewer).await;
    assert_eq!(status, 403);
    let (status, _, _) = call("POST", "/api/documents/nope/evidence".to_string(), analyst).await;
    assert_eq!(status, 404);
    let (status, _, _) = call(
        "POST",
        format!("/narratives/{narrative}/evidence/archive"),
        analyst,
    )
    .await;
    assert_eq!(status, 303);
    // The on-demand request is archived by the next round.
    let output = vigil(&["evidence", "sweep", "--no-refetch"], dir.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("1 archived, 0 failed"), "{stdout}");

    // Exports were audited, and the audit log's chain verifies until a row is rewritten.
    let output = vigil(&["evidence", "verify"], dir.path());
    assert!(output.status.success(), "{output:?}");
    let conn = rusqlite::Connection::open(config.state_path()).unwrap();
    let exports: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM audit WHERE action = 'evidence-export'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(exports, 2, "the CLI's and the web's");
    conn.execute(
        "UPDATE audit SET detail = 'nothing happened' WHERE action = 'evidence-export'",
        [],
    )
    .unwrap();
    let output = vigil(&["evidence", "verify"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("FAILED at audit entry") && stdout.contains("does not match its fields"),
        "{stdout}"
    );
}
