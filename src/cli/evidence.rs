//! `vigil evidence`: archive documents as WARC (`capture`, `sweep`), check the hash-chained
//! evidence and audit logs and every archived file (`verify`), and write a narrative's bundle
//! for a takedown request or a referral (`export`).

use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use vigil::archive;
use vigil::config::Config;
use vigil::readside::ReadSide;
use vigil::store::Store;
use vigil::text::for_terminal;

#[derive(clap::Subcommand)]
pub enum Action {
    /// Archive one document now: its responses kept from the crawl, and its page fetched again.
    Capture {
        /// The document's id (as the search API and `vigil search --json` give it).
        doc_id: String,
        /// File it under this narrative (default: on-demand).
        #[arg(long)]
        narrative: Option<String>,
        /// Do not fetch the page again; archive only what the crawl kept.
        #[arg(long)]
        no_refetch: bool,
    },
    /// One archiving round now: every flagged narrative's documents not yet archived, and
    /// documents asked for on demand (`vigil run` does this every minute).
    Sweep {
        #[arg(long)]
        no_refetch: bool,
    },
    /// Check the evidence log's chain, every archived record against its file, and the audit
    /// log's chain; exits with 1 naming the first entry that does not match.
    Verify {
        #[arg(long)]
        json: bool,
    },
    /// Write a narrative's evidence bundle (a tar: WARC files, manifest.json, manifest.html,
    /// SHA256SUMS).
    Export {
        narrative: String,
        /// The bundle's file (default: vigil-evidence-NARRATIVE.tar).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

use super::operator;

pub async fn run(config: Config, action: Action) -> Result<ExitCode> {
    match action {
        Action::Capture {
            doc_id,
            narrative,
            no_refetch,
        } => {
            let pipeline = super::run::open_pipeline(config)?;
            let narrative = narrative.unwrap_or_else(|| archive::ON_DEMAND.to_string());
            let fetcher = pipeline.fetcher().clone();
            let archived = archive::archive_document(
                pipeline.read_side(),
                pipeline.store(),
                pipeline.config(),
                (!no_refetch).then_some(fetcher.as_ref()),
                &doc_id,
                &narrative,
                chrono::Utc::now(),
            )
            .await?;
            pipeline.store().audit(
                &operator(),
                "evidence-capture",
                &format!("document {doc_id}"),
                "",
            )?;
            print_archived(&archived);
            Ok(ExitCode::SUCCESS)
        }
        Action::Sweep { no_refetch } => {
            let pipeline = super::run::open_pipeline(config)?;
            let fetcher: Arc<vigil::fetch::Fetcher> = pipeline.fetcher().clone();
            let report = archive::round(
                pipeline.read_side(),
                pipeline.store(),
                pipeline.config(),
                (!no_refetch).then_some(fetcher.as_ref()),
                chrono::Utc::now(),
            )
            .await?;
            for archived in &report.archived {
                print_archived(archived);
            }
            for failure in &report.failed {
                eprintln!("not archived: {}", for_terminal(failure));
            }
            println!(
                "{} archived, {} failed, {} newly queued, {} old responses dropped from the spool",
                report.archived.len(),
                report.failed.len(),
                report.queued,
                report.spool_dropped
            );
            Ok(if report.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Action::Verify { json } => {
            let store = Store::open_read_only(&config.state_path())?;
            let report = archive::verify(&store, &config.evidence_dir())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "evidence log: {} entries over {} files, head {}",
                    report.entries, report.files, report.head
                );
                match &report.first_bad {
                    None => println!("  every entry chains and every record matches its file"),
                    Some(bad) => println!("  FAILED at {}", for_terminal(bad)),
                }
                for file in &report.unlogged_files {
                    println!(
                        "  note: {} is not in the log (a crash between writing and logging; it is not evidence)",
                        for_terminal(file)
                    );
                }
                println!(
                    "audit log: {} entries ({} from before the chain began)",
                    report.audit_entries, report.audit_unchained
                );
                match &report.audit_first_bad {
                    None => println!("  every chained entry matches"),
                    Some(bad) => println!("  FAILED at {}", for_terminal(bad)),
                }
            }
            Ok(if report.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Action::Export { narrative, out } => {
            let read = ReadSide::open(&config)?;
            let store = Store::open(&config.state_path())?;
            let path =
                out.unwrap_or_else(|| PathBuf::from(format!("vigil-evidence-{narrative}.tar")));
            let partial = path.with_extension("tar.partial");
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(&partial)
                    .with_context(|| format!("cannot write {}", partial.display()))?,
            );
            let manifest = match archive::export(
                &read,
                &store,
                &config.evidence_dir(),
                &narrative,
                &operator(),
                chrono::Utc::now(),
                &mut file,
            ) {
                Ok(manifest) => manifest,
                Err(error) => {
                    drop(file);
                    let _ = std::fs::remove_file(&partial);
                    return Err(error.into());
                }
            };
            std::io::Write::flush(&mut file)?;
            drop(file);
            std::fs::rename(&partial, &path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            store.audit(
                &operator(),
                "evidence-export",
                &format!("narrative {narrative}, {} records", manifest.records.len()),
                "",
            )?;
            if manifest.records.is_empty() {
                bail!(
                    "narrative {narrative} has no archived evidence yet: `vigil evidence sweep` archives flagged narratives, `vigil evidence capture` one document ({} written without records)",
                    path.display()
                );
            }
            println!(
                "wrote {}: {} records in {} WARC files, chain head {}",
                path.display(),
                manifest.records.len(),
                manifest.files.len(),
                manifest.chain_head
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_archived(a: &archive::Archived) {
    println!(
        "{} → {} ({} records, {} bytes; {} kept from the crawl{}{})",
        a.doc_id,
        a.file,
        a.records,
        a.bytes,
        a.spooled,
        if a.refetched { ", fetched again" } else { "" },
        a.refetch_error
            .as_deref()
            .map(|e| format!(", fetching again failed: {}", for_terminal(e)))
            .unwrap_or_default()
    );
}
