//! `vigil digest`: render a period's digest on demand, send a schedule's digest now, list past
//! digests and alerts with their delivery state, and deliver what the outbox holds. Crawled
//! text reaches the terminal only through `for_terminal`.

use super::Span;
use anyhow::{Context, Result, bail};
use chrono::Utc;
use std::process::ExitCode;
use vigil::alert::digest::Selection;
use vigil::config::Config;
use vigil::readside::ReadSide;
use vigil::store::Store;
use vigil::text::for_terminal;

#[derive(clap::Subcommand)]
pub enum Action {
    /// Put a schedule's digest in the outbox now and deliver it.
    Send {
        /// The schedule's name in vigil.toml.
        name: String,
    },
    /// Past digests and alerts, newest first, with their delivery state per channel.
    List {
        #[arg(long, default_value_t = 30)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Deliver what the outbox holds: due messages, or every pending one with --now.
    Deliver {
        /// Retry pending messages now instead of waiting for their backoff.
        #[arg(long)]
        now: bool,
    },
}

pub async fn run(
    read: &ReadSide,
    store: &Store,
    config: &Config,
    action: Option<Action>,
    since: &Span,
    format: &str,
    schedule: Option<&str>,
) -> Result<ExitCode> {
    match action {
        None => {
            let now = Utc::now();
            let start = since.start(now);
            let selection = match schedule {
                None => Selection::all(),
                Some(name) => {
                    let s = config
                        .alerting
                        .schedule(name)
                        .with_context(|| format!("no schedule named {name:?}"))?;
                    Selection {
                        queries: s.queries.clone(),
                        min_severity: s.min_severity,
                    }
                }
            };
            let digest = vigil::alert::digest::build(read, config, &selection, start, now)?;
            let out = match format {
                "md" => vigil::alert::render::markdown(&digest),
                "html" => vigil::alert::render::html(&digest),
                "text" => vigil::alert::render::text(&digest),
                "json" => serde_json::to_string_pretty(&digest)?,
                other => bail!("--format {other:?}: use md, html, text or json"),
            };
            // Markdown and text are escaped for their format, not for a terminal.
            if matches!(format, "md" | "text") {
                for line in out.lines() {
                    println!("{}", for_terminal(line));
                }
            } else {
                println!("{out}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Action::Send { name }) => {
            let key = vigil::alert::send_now(read, store, config, &name, Utc::now())?;
            println!("queued {key}");
            deliver(store, config).await
        }
        Some(Action::Deliver { now }) => {
            if now {
                store.retry_now(Utc::now())?;
            }
            deliver(store, config).await
        }
        Some(Action::List { limit, json }) => {
            let entries = read.store.outbox(limit)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&entries)?);
                return Ok(ExitCode::SUCCESS);
            }
            if entries.is_empty() {
                println!("no digests or alerts yet");
            }
            for e in entries {
                let state = match e.state.as_str() {
                    "sent" => format!(
                        "sent {}",
                        e.sent_at
                            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                            .unwrap_or_default()
                    ),
                    "pending" if e.attempts > 0 => format!(
                        "pending, attempt {} failed, next {}",
                        e.attempts,
                        e.next_attempt.format("%H:%M UTC")
                    ),
                    other => other.to_string(),
                };
                println!(
                    "{}  {:<7} {:<12} {:<14} {}  {}",
                    e.created.format("%Y-%m-%d %H:%M"),
                    e.kind,
                    for_terminal(&e.origin),
                    for_terminal(&e.channel),
                    state,
                    for_terminal(&e.subject)
                );
                if let Some(error) = &e.last_error {
                    println!("    last error: {}", for_terminal(error));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn deliver(store: &Store, config: &Config) -> Result<ExitCode> {
    let http = vigil::alert::deliver::http_client().map_err(anyhow::Error::msg)?;
    let report =
        vigil::alert::outbox::deliver_due(store, &config.alerting, &http, Utc::now()).await?;
    println!("sent {}, failed {}", report.sent, report.failed);
    for error in &report.errors {
        eprintln!("{}", for_terminal(error));
    }
    Ok(if report.failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
