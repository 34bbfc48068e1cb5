//! The analysts' tuning tools through the `vigil` binary, on the demo corpus crawled from a
//! local server: backtest (sparkline, chart, samples), diff, explain and suggest agree with each
//! other and with search; query syntax errors reach the terminal with a caret.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn vigil(args: &[&str], config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "off")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A deployment of the demo configuration, crawled once through the binary.
async fn crawled_demo() -> (tempfile::TempDir, PathBuf, vigil::demo::DemoServer) {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = crate::support::demo_corpus(&dir.path().join("data")).await;
    let path =
        crate::support::write_demo_config(dir.path(), &dir.path().join("data"), &server.base_url);
    let config_path = path.clone();
    let out = tokio::task::spawn_blocking(move || vigil(&["crawl"], &config_path))
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stdout));
    (dir, path, server)
}

#[tokio::test]
async fn backtest_diff_explain_and_suggest_agree() {
    let (dir, config, _server) = crawled_demo().await;
    let config = config.as_path();

    // Backtest: a sparkline, a chart, sources, samples; the days add up to the total.
    let chart = dir.path().join("hacked.svg");
    let out = vigil(
        &[
            "queries",
            "backtest",
            "hacked-files",
            "--since",
            "30d",
            "--chart",
            chart.to_str().unwrap(),
        ],
        config,
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("hacked-files: "), "{stdout}");
    assert!(
        stdout.contains("per day  ") && stdout.contains('█'),
        "{stdout}"
    );
    assert!(stdout.contains("newest matches:"), "{stdout}");
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("hacked-files"),
        "{svg}"
    );
    let backtest = json(&vigil(
        &[
            "queries",
            "backtest",
            "hacked-files",
            "--since",
            "30d",
            "--json",
        ],
        config,
    ));
    let total = backtest["total"].as_u64().unwrap();
    let per_day: u64 = backtest["per_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d[1].as_u64().unwrap())
        .sum();
    assert!(total >= 5, "{backtest}");
    assert_eq!(per_day, total);
    assert_eq!(backtest["per_day"].as_array().unwrap().len(), 31);
    assert!(backtest["top_sources"].as_array().unwrap().len() >= 3);
    assert_eq!(backtest["samples"].as_array().unwrap().len(), 10);
    // The samples are highlighted: at least one carries a highlight range.
    assert!(
        backtest["samples"]
            .as_array()
            .unwrap()
            .iter()
            .any(
                |s| !s["snippet"]["highlights"].as_array().unwrap().is_empty()
                    || !s["title"]["highlights"].as_array().unwrap().is_empty()
            ),
        "{backtest}"
    );

    // A query's text works as well as its id, and agrees with search.
    let text_total = json(&vigil(
        &["queries", "backtest", "\"hacked files\"~2", "--json"],
        config,
    ))["total"]
        .as_u64()
        .unwrap();
    let search = json(&vigil(
        &[
            "search",
            "\"hacked files\"~2",
            "--since",
            "30d",
            "--limit",
            "1000",
            "--json",
        ],
        config,
    ));
    assert_eq!(search["total"].as_u64().unwrap(), text_total);

    // Diff: the counts reconcile.
    let diff = json(&vigil(
        &[
            "queries",
            "diff",
            "hacked-files",
            "files OR fichiers OR documents",
            "--json",
        ],
        config,
    ));
    let (old, new) = (
        diff["old_total"].as_i64().unwrap(),
        diff["new_total"].as_i64().unwrap(),
    );
    let (gained, lost) = (
        diff["gained"].as_i64().unwrap(),
        diff["lost"].as_i64().unwrap(),
    );
    assert_eq!(old, total as i64);
    assert_eq!(new - old, gained - lost, "{diff}");
    assert!(gained > 0, "the looser text gains documents: {diff}");

    // Explain: the root is the whole query's count (hacked-files is an OR of two claims, the
    // first an AND); an AND's clauses each match at least as many documents as the AND, and an
    // OR at least as many as each of its clauses.
    let clauses = json(&vigil(
        &["queries", "explain", "hacked-files", "--json"],
        config,
    ));
    let clauses = clauses.as_array().unwrap();
    assert_eq!(clauses[0]["kind"], "OR");
    assert_eq!(clauses[0]["depth"], 0);
    assert_eq!(clauses[0]["matches"].as_u64().unwrap(), total as u64);
    let count = |c: &serde_json::Value| c["matches"].as_u64().unwrap();
    let mut ands = 0;
    for (i, node) in clauses.iter().enumerate() {
        let depth = node["depth"].as_u64().unwrap();
        let children = clauses[i + 1..]
            .iter()
            .take_while(|c| c["depth"].as_u64().unwrap() > depth)
            .filter(|c| c["depth"].as_u64().unwrap() == depth + 1);
        for child in children {
            match node["kind"].as_str() {
                Some("AND") => assert!(count(child) >= count(node), "{node} / {child}"),
                Some("OR") => assert!(count(child) <= count(node), "{node} / {child}"),
                _ => {}
            }
        }
        ands += usize::from(node["kind"] == "AND");
    }
    assert!(ands > 0, "{clauses:?}");
    assert!(
        clauses.iter().any(|c| c["kind"] == "phrase~2"),
        "{clauses:?}"
    );
    // A group is shown as written, parentheses included.
    let grouped = json(&vigil(
        &[
            "queries",
            "explain",
            "(warrant OR mandat) AND court",
            "--json",
        ],
        config,
    ));
    assert!(
        grouped
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["text"] == "(warrant OR mandat)"),
        "{grouped}"
    );
    let out = vigil(&["queries", "explain", "hacked-files"], config);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("AND") && stdout.contains("\"hacked files\"~2"),
        "{stdout}"
    );

    // Suggest: over-represented terms, flagged when the query already has them.
    let suggestions = json(&vigil(
        &["queries", "suggest", "hacked-files", "--json"],
        config,
    ));
    let terms = suggestions["terms"].as_array().unwrap();
    assert!(!terms.is_empty(), "{suggestions}");
    assert!(suggestions["read"].as_u64().unwrap() >= total.min(2_000));
    assert!(
        terms
            .iter()
            .any(|t| t["in_query"] == true && t["text"] == "hacked"),
        "{suggestions}"
    );
    assert!(
        terms.iter().any(|t| t["in_query"] == false),
        "{suggestions}"
    );
}

#[tokio::test]
async fn query_errors_reach_the_terminal_with_a_caret() {
    let (_dir, config, _server) = crawled_demo().await;
    // A lower-case operator is read as one, and the reader is told (other tools differ).
    let noted = vigil(&["search", "warrant or mandat"], &config);
    assert!(noted.status.success());
    assert!(
        text(&noted.stderr).contains("lower-case \"or\" is read as the operator OR"),
        "{}",
        text(&noted.stderr)
    );
    let out = vigil(&["search", "khan ONEAR corrupt"], &config);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("column 6: ONEAR needs a distance, e.g. ONEAR/5")
            && stderr.contains("  khan ONEAR corrupt\n       ^^^^^")
            && stderr.contains("hint: ONEAR/5 means the left side first"),
        "{stderr}"
    );
    let out = vigil(&["queries", "explain", "court AND (hacked"], &config);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("never closed"),
        "{}",
        text(&out.stderr)
    );
}
