//! The `vigil` binary as a user runs it: exit codes, one-line errors naming the file, the
//! summary of a crawl with a failing source, JSON search output, and the shipped stored queries'
//! examples.

use crate::support::{Deployment, FixtureServer, source, vigil};
use std::path::Path;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn shipped_stored_queries_pass_their_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = vigil(&["queries", "test", "--dir", "queries"], root);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    let listed = text(&vigil(&["queries", "list", "--dir", "queries"], root).stdout);
    for id in ["political-tool", "hacked-files", "void-warrant"] {
        assert!(listed.contains(id), "{listed}");
    }
}

#[test]
fn a_failing_example_fails_the_command_naming_query_and_example() {
    let dir = tempfile::tempdir().unwrap();
    let queries = dir.path().join("queries");
    std::fs::create_dir_all(&queries).unwrap();
    std::fs::write(
        queries.join("narrow.toml"),
        "id = \"narrow\"\ntitle = \"t\"\nquery = \"warrant AND void\"\nseverity = \"info\"\n[[examples]]\ntext = \"the warrant\"\nmust_match = true\n",
    )
    .unwrap();
    let out = vigil(&["queries", "test", "--dir", "queries"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("narrow.toml: query \"narrow\", example 1: should match but did not"),
        "{stdout}"
    );
}

#[test]
fn configuration_errors_are_one_line_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = vigil(&["--config", "nowhere.toml", "crawl"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: nowhere.toml: cannot read"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");

    std::fs::write(dir.path().join("bad.toml"), "[crawl]\ncontact_url = \"https://x.example.org\"\n[[sources]]\nname = \"a\"\nkind = \"feed\"\nurl = \"https://a.example.org/f\"\ninterval = \"often\"\n").unwrap();
    let stderr = text(&vigil(&["--config", "bad.toml", "crawl"], dir.path()).stderr);
    assert!(
        stderr.contains("bad.toml: sources[0].interval: \"often\" is not a duration"),
        "{stderr}"
    );

    let deployment = Deployment::new("", "");
    std::fs::write(
        deployment.dir.path().join("queries/broken.toml"),
        "id = \"broken\"\ntitle = \"t\"\nquery = \"(unclosed\"\nseverity = \"info\"\n",
    )
    .unwrap();
    // A broken stored query is named, and skipped: search works for everybody else.
    let out = vigil(
        &["--config", "vigil.toml", "search", "anything"],
        deployment.dir.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("broken.toml: query: ") && stderr.contains("skipped"),
        "{stderr}"
    );
}

#[tokio::test]
async fn crawl_exit_code_and_summary_name_failing_sources_and_search_prints_json() {
    let server = FixtureServer::start().await;
    server.put_file(
        "bbc.xml",
        "application/rss+xml",
        &crate::support::feed_fixtures().join("feed-rs/rss_2.0_bbc.xml"),
    );
    // The failing source on a host of its own: a 500 slows down every source on its host.
    let failing = FixtureServer::start_on([127, 0, 0, 31]).await;
    let sources = [
        source("bbc", &server.url("/f/bbc.xml")),
        source("broken", &failing.url("/status/500")),
    ]
    .concat();
    let deployment = Deployment::new("rate_per_host = 50.0", &sources);
    let dir = deployment.dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || vigil(&["crawl"], &dir))
        .await
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("1 failed") && stdout.contains("failing sources: broken"),
        "{stdout}"
    );
    assert!(stdout.contains("http status 500"), "{stdout}");

    let dir = deployment.dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || vigil(&["sources", "status", "--json"], &dir))
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "failing is not yet unhealthy: {}",
        text(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["name"], "bbc");
    assert_eq!(rows[0]["health"], "ok");
    assert!(rows[0]["items_per_day"].as_f64().unwrap() >= 0.0);
    assert_eq!(rows[1]["health"], "failing");
    assert!(
        rows[1]["last_error"]
            .as_str()
            .unwrap()
            .contains("http status 500")
    );
    assert!(rows[1]["next_poll"].is_string());

    let dir = deployment.dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        vigil(
            &["search", "aurelius", "--json", "--sort", "relevance"],
            &dir,
        )
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["total"], 1);
    let hit = &json["hits"][0];
    assert_eq!(hit["source"], "bbc");
    assert!(
        hit["title"]["text"]
            .as_str()
            .unwrap()
            .contains("Marcus Aurelius")
    );
    assert!(!hit["title"]["highlights"].as_array().unwrap().is_empty());

    // Filters: by source, and by age (the BBC item is from 2019).
    let cases: &[(&[&str], u64)] = &[
        (&["search", "aurelius", "--json", "--source", "bbc"], 1),
        (&["search", "aurelius", "--json", "--source", "broken"], 0),
        (&["search", "aurelius", "--json", "--since", "7d"], 0),
        (
            &[
                "search", "aurelius", "--json", "--since", "20000d", "--limit", "1",
            ],
            1,
        ),
    ];
    for (args, total) in cases {
        let dir = deployment.dir.path().to_path_buf();
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let out = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            vigil(&args, &dir)
        })
        .await
        .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["total"], *total, "{}", text(&out.stderr));
    }
    // A bad option value is one line naming it.
    let dir = deployment.dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        vigil(&["search", "aurelius", "--since", "soon"], &dir)
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with(
            "error: invalid value 'soon' for '--since <SINCE>': \"soon\" is not a duration"
        ),
        "{}",
        text(&out.stderr)
    );
    // Plain-text output shows title, source, time, URL and snippet.
    let dir = deployment.dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || vigil(&["search", "aurelius"], &dir))
        .await
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("1 documents match")
            && stdout.contains("bbc · ")
            && stdout.contains("http"),
        "{stdout}"
    );
}

#[test]
fn the_shipped_configuration_is_valid_and_public() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = vigil::config::Config::load(&root.join("vigil.toml")).unwrap();
    assert!(config.sources.len() >= 10);
    assert!(
        config
            .sources
            .iter()
            .all(|s| !s.allow_private && s.url.scheme() == "https")
    );
    assert!(config.crawl.user_agent.starts_with("Vigil/"));
    let demo =
        vigil::demo::load_config(&root.join("demo"), "http://127.0.0.1:1", root, root).unwrap();
    assert!(demo.sources.len() >= 6);
}

/// A vendor query pasted into `vigil queries lint` comes back in Vigil's spelling, each change
/// and each missing equivalent said; one Vigil cannot read is refused with a caret.
#[test]
fn vendor_queries_are_linted_into_vigils_language() {
    let dir = tempfile::tempdir().unwrap();
    let out = vigil(
        &[
            "queries",
            "lint",
            "--dialect",
            "meltwater",
            "\u{201c}hacked files\u{201d} AND khan NEAR corrupt^3 AND country:nl",
        ],
        dir.path(),
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.starts_with("\"hacked files\" AND khan NEAR/4 corrupt\n"),
        "{stdout}"
    );
    assert!(stdout.contains("no equivalent: country:nl"), "{stdout}");
    assert!(
        stdout.contains("Vigil reads it (3 changes, 1 without equivalent)"),
        "{stdout}"
    );
    let refused = vigil(&["queries", "lint", "*corrupt AND court"], dir.path());
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stdout).contains("a leading wildcard"));
    let unknown = vigil(&["queries", "lint", "--dialect", "x", "court"], dir.path());
    assert_eq!(unknown.status.code(), Some(1));
}
