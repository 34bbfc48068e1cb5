//! `vigil demo`: the whole pipeline on the bundled demo corpus (`vigil::demo` serves it on
//! 127.0.0.1): crawl with a progress bar, the flagged narratives, the digest, then the web UI
//! with a fresh sign-in until Ctrl-C (or exit after the digest with `--once`).

use super::run::{crawl_exit_code, open_pipeline, print_report, progress_bar, serve};
use super::{ctrl_c, for_terminal_block};
use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use vigil::text::for_terminal;

pub async fn run(once: bool, port: u16) -> Result<ExitCode> {
    let corpus = vigil::demo::locate("demo")
        .context("the demo corpus folder demo/ was not found; run from the repository root")?;
    let queries_dir = vigil::demo::locate("queries")
        .context("the stored-query folder queries/ was not found; run from the repository root")?;
    let data_dir = PathBuf::from("index").join("demo");
    if data_dir.exists() {
        std::fs::remove_dir_all(&data_dir)
            .with_context(|| format!("cannot clear {}", data_dir.display()))?;
    }
    let server = vigil::demo::serve_corpus(&corpus)
        .await
        .context("cannot serve the demo corpus")?;
    println!(
        "demo corpus: {} feeds served at {}",
        server.files, server.base_url
    );
    let config = vigil::demo::load_config(&corpus, &server.base_url, &data_dir, &queries_dir)?;
    let pipeline = open_pipeline(config)?;
    println!(
        "{} stored queries from {}",
        pipeline.read_side().queries().len(),
        queries_dir.display()
    );
    let sources = pipeline.config().sources.clone();
    let (bar, observer) = progress_bar();
    let report = pipeline.crawl(&sources, Some(observer)).await?;
    bar.finish_and_clear();
    print_report(&report);

    let read = pipeline.read_side().clone();
    let now = chrono::Utc::now();
    let activity = read.activity(now)?;
    println!("\n== Flagged narratives ==");
    let flagged: Vec<_> = activity.iter().filter(|a| a.assessment.flagged).collect();
    if flagged.is_empty() {
        println!("none");
    }
    for a in &flagged {
        println!(
            "\n▲ {} [{}] {} documents in the last {}h ({:.1}× baseline of {:.1})",
            for_terminal(&a.title),
            a.severity.as_str(),
            a.assessment.count,
            (a.window_end - a.window_start).num_hours(),
            a.assessment.ratio,
            a.assessment.baseline_per_window
        );
        if let Some(first) = &a.first_seen {
            println!(
                "  first seen {} in {}: {}",
                first.published.format("%Y-%m-%d %H:%M UTC"),
                for_terminal(&first.source),
                for_terminal(&first.title)
            );
        }
        let sources: Vec<String> = a
            .sources
            .iter()
            .map(|(s, n)| format!("{} ({n})", for_terminal(s)))
            .collect();
        println!("  sources: {}", sources.join(", "));
        if let Some(copies) = &a.copies {
            println!(
                "  {}: {}",
                if copies.syndicated {
                    "syndicated"
                } else {
                    "copy-paste"
                },
                for_terminal(&copies.evidence)
            );
        }
        for sample in &a.samples {
            println!(
                "  - {}  ({})",
                for_terminal(&sample.title),
                for_terminal(&sample.source)
            );
        }
    }
    let quiet: Vec<String> = activity
        .iter()
        .filter(|a| !a.assessment.flagged)
        .map(|a| format!("{} ({} in window)", a.query_id, a.assessment.count))
        .collect();
    if !quiet.is_empty() {
        println!("\nnot flagged: {}", quiet.join(", "));
    }
    let digest = vigil::alert::digest::build(
        &read,
        pipeline.config(),
        &vigil::alert::digest::Selection::all(),
        now - chrono::Duration::hours(24),
        now,
    )?;
    let rendered = vigil::alert::render::render(&digest);
    let markdown = rendered.markdown.clone();
    std::fs::write(data_dir.join("digest.html"), &rendered.html)
        .with_context(|| format!("cannot write {}", data_dir.join("digest.html").display()))?;
    let digest_path = data_dir.join("digest.md");
    std::fs::write(&digest_path, &markdown)
        .with_context(|| format!("cannot write {}", digest_path.display()))?;
    println!("\n== Digest (also in {}) ==\n", digest_path.display());
    println!("{}", for_terminal_block(&markdown));
    if once {
        return Ok(crawl_exit_code(&report));
    }
    // The web UI needs a signed-in user: the demo makes one with a fresh password.
    let password = vigil::auth::random_hex(9);
    let store = pipeline.store().clone();
    let _ = vigil::auth::remove_user(&store, "demo");
    vigil::auth::add_user(&store, "demo", vigil::auth::Role::Analyst, &password)?;
    println!("sign in as: demo / {password}");
    let config = pipeline.config().clone();
    drop(pipeline);
    serve(
        read,
        store,
        config,
        SocketAddr::from(([127, 0, 0, 1], port)),
        false,
        ctrl_c(),
    )
    .await?;
    drop(server);
    Ok(ExitCode::SUCCESS)
}
