//! `vigil leakwatch`: register the court's confidential documents as keyed fingerprints
//! (`add`), list them (`list`), remove them (`remove`), and see where they were found
//! (`matches`). Only fingerprints are stored, under the key `[leakwatch]` names; the files are
//! read and forgotten. Whoever runs these commands has the state database, which makes them an
//! administrator; every change is audited.

use anyhow::{Result, bail};
use std::path::PathBuf;
use vigil::config::Config;
use vigil::leakwatch::{self, Fingerprinter};
use vigil::store::Store;
use vigil::text::for_terminal;

#[derive(clap::Subcommand)]
pub enum Action {
    /// Register documents (text or HTML; PDF converted to text first). Several files under one
    /// label become "LABEL (1 of N)" and so on, each matched on its own.
    Add {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// What the security office calls it (shown in alerts; never the file's name).
        #[arg(long)]
        label: String,
    },
    /// The registered documents: labels, fingerprints, dates, matches.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a registered document (its matches stay on record).
    Remove { label: String },
    /// Where registered material was found, newest first.
    Matches {
        #[arg(long)]
        json: bool,
    },
}

use super::operator;

pub fn run(config: &Config, action: Action) -> Result<()> {
    let store = Store::open(&config.state_path())?;
    match action {
        Action::Add { files, label } => {
            let Some(settings) = &config.leakwatch else {
                bail!(
                    "no [leakwatch] in {}: set key_file (or key_env) and the security office's channels first",
                    config.path.display()
                );
            };
            let label = label.trim().to_string();
            if label.is_empty()
                || label.chars().count() > 200
                || label.chars().any(char::is_control)
            {
                bail!("--label: give a name of 1 to 200 characters on one line");
            }
            let fingerprinter = Fingerprinter::from_settings(settings)?;
            let count = files.len();
            for (i, file) in files.iter().enumerate() {
                let name = if count == 1 {
                    label.clone()
                } else {
                    format!("{label} ({} of {count})", i + 1)
                };
                let text = leakwatch::read_file(file)?;
                let (_, prints) = leakwatch::register(
                    &store,
                    &fingerprinter,
                    &name,
                    &text,
                    &operator(),
                    chrono::Utc::now(),
                )?;
                store.audit(
                    &operator(),
                    "leakwatch-add",
                    &format!("{name}: {prints} fingerprints"),
                    "",
                )?;
                println!("registered {}: {prints} fingerprints", for_terminal(&name));
            }
            Ok(())
        }
        Action::List { json } => {
            let labels = store.leak_labels()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&labels)?);
                return Ok(());
            }
            if labels.is_empty() {
                println!("no registered documents");
            }
            for l in &labels {
                println!(
                    "{}  {} fingerprints · added {} by {} · found {} times",
                    for_terminal(&l.label),
                    l.prints,
                    l.added_at.format("%Y-%m-%d %H:%M UTC"),
                    for_terminal(&l.added_by),
                    l.matches
                );
            }
            Ok(())
        }
        Action::Remove { label } => {
            if !store.remove_leak_label(&label)? {
                bail!("no registered document {label:?}: `vigil leakwatch list` shows them");
            }
            store.audit(&operator(), "leakwatch-remove", &label, "")?;
            println!("removed {}", for_terminal(&label));
            Ok(())
        }
        Action::Matches { json } => {
            let matches = store.leak_matches(1_000)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&matches)?);
                return Ok(());
            }
            if matches.is_empty() {
                println!("no registered material found");
            }
            for m in &matches {
                println!(
                    "{}  {} · {} of {} fingerprints · {} · {}",
                    m.at.format("%Y-%m-%d %H:%M UTC"),
                    for_terminal(&m.label),
                    m.matched,
                    m.total,
                    for_terminal(&m.source),
                    for_terminal(&m.url)
                );
            }
            Ok(())
        }
    }
}
