//! `vigil queries list`, `test` and `lint`: the stored queries of a folder, their examples run
//! against an index made of the examples alone (no crawl needed), and vendor queries read into
//! Vigil's language.

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

/// `vigil queries lint`: a vendor query (text, or the `query` of a stored-query file) in
/// Vigil's spelling, with each change, what has no equivalent, and Vigil's verdict on it.
pub fn lint(query: &str, dialect: &str) -> Result<ExitCode> {
    let Some(dialect) = vigil::query::dialect::Dialect::parse(dialect) else {
        bail!("--dialect {dialect:?}: use brandwatch, meltwater or talkwalker");
    };
    let path = Path::new(query);
    let text = if path.extension().is_some_and(|e| e == "toml") && path.exists() {
        let file: toml::Table = toml::from_str(&std::fs::read_to_string(path)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        file.get("query")
            .and_then(|q| q.as_str())
            .ok_or_else(|| anyhow::anyhow!("{}: no query = \"…\" in it", path.display()))?
            .to_string()
    } else {
        query.to_string()
    };
    let translation = vigil::query::dialect::translate(&text, dialect);
    println!("{}", for_terminal(&translation.query));
    for change in &translation.changes {
        println!("  changed: {}", for_terminal(change));
    }
    for missing in &translation.no_equivalent {
        println!("  no equivalent: {}", for_terminal(missing));
    }
    let lists = vigil::query::lists::Lists::default();
    match vigil::query::syntax::parse(&translation.query, &lists)
        .and_then(|tree| vigil::query::cost::check(&tree).map(|()| tree))
    {
        Ok(_) => {
            println!(
                "Vigil reads it ({} changes, {} without equivalent)",
                translation.changes.len(),
                translation.no_equivalent.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            println!("{}", for_terminal(&error.render(&translation.query)));
            Ok(ExitCode::from(1))
        }
    }
}
