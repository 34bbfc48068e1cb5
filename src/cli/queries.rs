//! `vigil queries list` and `vigil queries test`: the stored queries of a folder, and their
//! examples run against an index made of the examples alone (no crawl needed).

use super::QueriesAction;
use anyhow::{Result, bail};
use std::path::Path;
use std::process::ExitCode;
use vigil::text::for_terminal;

pub fn list_or_test(action: QueriesAction, dir: &Path) -> Result<ExitCode> {
    let index = vigil::index::in_memory();
    // Every file that fails is reported; the others are listed and tested.
    let (queries, broken) = vigil::query::stored::load_dir_skipping(dir, &index)?;
    for failure in &broken {
        eprintln!("FAIL {}", for_terminal(&failure.to_string()));
    }
    let code = |ok: bool| {
        if ok && broken.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }
    };
    match action {
        QueriesAction::List => {
            for q in &queries {
                println!(
                    "{:<28} {:<7} {}",
                    q.id,
                    q.severity.as_str(),
                    for_terminal(&q.title)
                );
                println!("  {}", for_terminal(&q.query_text));
            }
            println!(
                "{} stored queries in {}{}",
                queries.len(),
                dir.display(),
                if broken.is_empty() {
                    String::new()
                } else {
                    format!("; {} files skipped (they do not load)", broken.len())
                }
            );
            Ok(code(true))
        }
        QueriesAction::Test => {
            let failures = vigil::query::stored::run_examples(&queries)?;
            let examples: usize = queries.iter().map(|q| q.examples.len()).sum();
            for failure in &failures {
                println!("FAIL {}", for_terminal(&failure.to_string()));
            }
            println!(
                "{} queries, {} examples, {} failed{}",
                queries.len(),
                examples,
                failures.len(),
                if broken.is_empty() {
                    String::new()
                } else {
                    format!("; {} files do not load", broken.len())
                }
            );
            Ok(code(failures.is_empty()))
        }
        _ => bail!("this queries command needs the index: run it with a configuration"),
    }
}
