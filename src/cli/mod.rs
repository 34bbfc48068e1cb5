//! The `vigil` command line (the binary's side): parses arguments, loads the configuration once,
//! opens what a command needs, prints results for a person (or JSON for a script) and turns
//! failures into one clear line and an exit code: 0 success, 1 an error that stopped the
//! command, 2 a crawl or a status where some sources failed. One module per command family:
//! `run` (crawl, run, serve), `search`, `sources`, `queries` and `tune`, `digest`, `narratives`,
//! `users` (and audit), `demo`.

mod demo;
mod digest;
mod evidence;
mod leakwatch;
mod narratives;
mod queries;
mod run;
mod search;
mod sources;
mod tune;
mod users;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use vigil::config::Config;
use vigil::readside::ReadSide;
use vigil::store::Store;
use vigil::text::for_terminal;

/// Longest span a `--since` may reach back: far beyond any index, short enough that no date
/// arithmetic overflows.
const MAX_SPAN_DAYS: i64 = 100 * 366;

/// A span of time back from now (`--since 7d`, `12h`, `1h 30m`), parsed and bounded once by
/// clap for every command that takes one; it keeps its text for messages.
#[derive(Debug, Clone)]
pub struct Span {
    text: String,
    duration: chrono::Duration,
}

impl std::str::FromStr for Span {
    type Err = String;

    fn from_str(text: &str) -> Result<Span, String> {
        let span = vigil::types::parse_duration(text)?;
        let duration = chrono::Duration::from_std(span)
            .ok()
            .filter(|d| *d <= chrono::Duration::days(MAX_SPAN_DAYS))
            .ok_or_else(|| format!("{text:?} reaches back more than 100 years"))?;
        Ok(Span {
            text: text.trim().to_string(),
            duration,
        })
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl Span {
    /// When the span starts, counted back from `now`.
    pub fn start(&self, now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
        now - self.duration
    }
}

#[derive(Parser)]
#[command(
    name = "vigil",
    version,
    about = "Disinformation monitoring: crawl, index, flag emerging narratives"
)]
struct Cli {
    /// The configuration file.
    #[arg(long, global = true, default_value = "vigil.toml")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole pipeline on the bundled demo corpus, then serve the search page.
    Demo {
        /// Exit after the digest instead of serving the search page.
        #[arg(long)]
        once: bool,
        /// Port of the search page on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
    /// One crawl pass over every configured source.
    Crawl,
    /// Keep crawling, each source at its own interval, and send scheduled digests and urgent
    /// alerts, until Ctrl-C; with --serve, the web UI and API too.
    Run {
        /// Also serve the web UI and API on this address (e.g. 127.0.0.1:8080).
        #[arg(long)]
        serve: Option<SocketAddr>,
    },
    /// A crawl worker of a distributed deployment (`[cluster]`): claims a share of the host
    /// partitions, fetches the jobs the index node dispatches, publishes the results; until
    /// Ctrl-C. It reads the same vigil.toml as the index node (sources, crawl settings).
    Worker {
        /// The broker, overriding `[cluster] nats` (e.g. nats://10.0.0.5:4222).
        #[arg(long)]
        nats: Option<String>,
        /// This worker's name (default: the host name and process id).
        #[arg(long)]
        name: Option<String>,
    },
    /// Search the index.
    Search {
        /// The query (tantivy syntax over title and body; AND between bare words).
        query: String,
        /// Only documents published within this span, e.g. 7d or 12h.
        #[arg(long)]
        since: Option<Span>,
        /// Only documents from this source (repeatable).
        #[arg(long)]
        source: Vec<String>,
        /// Results to print.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// newest or relevance.
        #[arg(long, default_value = "newest")]
        sort: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Stored queries: list them or test their examples.
    Queries {
        #[command(subcommand)]
        action: QueriesAction,
        /// The stored-query folder (default: the configuration's, or ./queries).
        #[arg(long, global = true)]
        dir: Option<PathBuf>,
    },
    /// Render the digest of a period (no subcommand), send a schedule's digest now, list past
    /// digests and alerts with their delivery state, or deliver what the outbox holds.
    Digest {
        #[command(subcommand)]
        action: Option<digest::Action>,
        /// The period, e.g. 24h or 7d.
        #[arg(long, default_value = "24h")]
        since: Span,
        /// md, html, text or json.
        #[arg(long, default_value = "md")]
        format: String,
        /// Cover what this schedule covers (its queries and severities).
        #[arg(long)]
        schedule: Option<String>,
    },
    /// Sources: their health, last success and error, next poll, items per day.
    Sources {
        #[command(subcommand)]
        action: SourcesAction,
    },
    /// Emerging narratives (story clusters of matched documents), most urgent first.
    Narratives {
        #[command(subcommand)]
        action: Option<NarrativesAction>,
        /// Narratives with documents this recent.
        #[arg(long, default_value = "7d")]
        since: Span,
        #[arg(long)]
        json: bool,
    },
    /// Manage the users of the web UI and API.
    User {
        #[command(subcommand)]
        action: users::Action,
    },
    /// Evidence: archive documents as WARC, verify the hash-chained logs, export a bundle.
    Evidence {
        #[command(subcommand)]
        action: evidence::Action,
    },
    /// The leak watch: register the court's confidential documents as fingerprints, list,
    /// remove, and see where they were found.
    Leakwatch {
        #[command(subcommand)]
        action: leakwatch::Action,
    },
    /// The audit log: logins, query edits, exports and account changes.
    Audit {
        #[arg(long, default_value = "7d")]
        since: Span,
        #[arg(long)]
        json: bool,
    },
    /// Crawl, send digests and alerts, and serve the web UI and JSON API, in one process.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Only serve: no crawling, no digests (a second web server over the same data).
        #[arg(long)]
        read_only: bool,
        /// Mark cookies Secure (set when a TLS proxy is in front; `X-Forwarded-Proto: https`
        /// does it per request).
        #[arg(long)]
        secure_cookies: bool,
    },
}

#[derive(Subcommand)]
enum NarrativesAction {
    /// One narrative: timeline, sources, spikes, copy-paste, amplifiers, DISARM tags, rebuttal.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Narratives for partners: a STIX 2.1 bundle (campaigns, DISARM attack patterns, the
    /// sources involved and their URLs), of one narrative or of those active in `--since`.
    Export {
        /// One narrative's id; without it, every narrative active in `--since`.
        id: Option<String>,
        /// Write STIX 2.1 JSON (the one format so far; required so a script says what it wants).
        #[arg(long)]
        stix: bool,
        /// Narratives with documents this recent (default: the command's `--since`, 7d).
        #[arg(long)]
        since: Option<Span>,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum SourcesAction {
    /// Every configured source's health; exits with 2 when any is unhealthy or silent.
    Status {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum QueriesAction {
    /// List the stored queries.
    List,
    /// Run every stored query's examples; fails naming the ones that did not behave.
    Test,
    /// Run a query over a past period: matches per day, top sources and languages, samples.
    /// QUERY is a stored query's file or id, or query text.
    Backtest {
        query: String,
        #[arg(long, default_value = "30d")]
        since: Span,
        /// Also draw the matches per day as an SVG chart into this file.
        #[arg(long)]
        chart: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Read a Brandwatch, Meltwater or Talkwalker query (text, or a stored query's file): the
    /// Vigil query, each change made, what has no equivalent, and whether Vigil reads it.
    Lint {
        query: String,
        /// brandwatch, meltwater or talkwalker.
        #[arg(long, default_value = "brandwatch")]
        dialect: String,
    },
    /// What an edit changes: documents gained and lost between OLD and NEW.
    Diff {
        old: String,
        new: String,
        #[arg(long, default_value = "30d")]
        since: Span,
        #[arg(long)]
        json: bool,
    },
    /// The parsed query, with how many documents each clause matches on its own.
    Explain {
        query: String,
        #[arg(long, default_value = "30d")]
        since: Span,
        #[arg(long)]
        json: bool,
    },
    /// Terms and phrases over-represented in a query's matches: candidates to add or exclude.
    Suggest {
        query: String,
        #[arg(long, default_value = "30d")]
        since: Span,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

/// Parses the arguments, runs the command and turns a failure into one line (the whole cause
/// chain) and exit code 1.
pub fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    // A usage error exits with 1 like every other error: 2 means some sources failed.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 1 } else { 0 });
        }
    };
    tune_allocator();
    // A command that prints and ends (`vigil audit | head`) stops quietly when its reader
    // goes away, as Unix tools do, instead of panicking on the closed pipe. The long-running
    // commands keep ignoring SIGPIPE: their sockets report a closed peer as an error.
    if !matches!(
        cli.command,
        Command::Demo { .. } | Command::Run { .. } | Command::Serve { .. }
    ) {
        restore_sigpipe();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(error) => {
            let chain: Vec<String> = error
                .chain()
                .map(|e| for_terminal_block(&e.to_string()))
                .collect();
            eprintln!("error: {}", chain.join(": "));
            ExitCode::from(1)
        }
    }
}

/// Large blocks (a password check's 19 MiB, a big search buffer) go back to the system when
/// freed. glibc otherwise raises its mmap threshold after the first such free and serves the
/// next ones from per-thread arenas that keep the memory: a burst of sign-ins on a dozen
/// blocking threads would leave hundreds of megabytes held.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_ARENA_MAX, 4);
    }
}

fn restore_sigpipe() {
    // SAFETY: setting a signal's disposition to its default, before any thread starts, with
    // no handler involved.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

async fn dispatch(cli: Cli) -> Result<ExitCode> {
    // The commands that need no configuration.
    let command = match cli.command {
        Command::Demo { once, port } => return demo::run(once, port).await,
        Command::Queries {
            action: QueriesAction::Lint { query, dialect },
            ..
        } => return queries::lint(&query, &dialect),
        Command::Queries { action, dir }
            if matches!(action, QueriesAction::List | QueriesAction::Test) =>
        {
            let dir = match dir {
                Some(dir) => dir,
                None if cli.config.exists() => Config::load(&cli.config)?.queries_dir,
                None => PathBuf::from("queries"),
            };
            return queries::list_or_test(action, &dir);
        }
        command => command,
    };
    let mut config = Config::load(&cli.config)?;
    match command {
        Command::Demo { .. } => unreachable!("handled above"),
        Command::Crawl => run::crawl(config, &cli.config).await,
        Command::Run { serve } => run::run_all(config, serve, false).await,
        Command::Worker { nats, name } => run::worker(config, nats, name).await,
        Command::Serve {
            addr,
            read_only: true,
            secure_cookies,
        } => {
            let read = ReadSide::open(&config)?;
            let store = Arc::new(Store::open(&config.state_path())?);
            run::serve(read, store, config, addr, secure_cookies, ctrl_c()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            addr,
            read_only: false,
            secure_cookies,
        } => run::run_all(config, Some(addr), secure_cookies).await,
        Command::Search {
            query,
            since,
            source,
            limit,
            sort,
            json,
        } => search::search(
            &ReadSide::open(&config)?,
            vigil::budget::Budget {
                time: config.web.request_timeout,
                memory: config.web.request_memory,
            },
            &query,
            since,
            source,
            limit,
            &sort,
            json,
        ),
        Command::Queries { action, dir } => {
            if let Some(dir) = dir {
                config.queries_dir = dir;
            }
            let read = ReadSide::open(&config)?;
            match action {
                QueriesAction::Backtest {
                    query,
                    since,
                    chart,
                    json,
                } => tune::backtest(&read, &query, &since, chart.as_deref(), json)?,
                QueriesAction::Diff {
                    old,
                    new,
                    since,
                    json,
                } => tune::diff(&read, &old, &new, &since, json)?,
                QueriesAction::Explain { query, since, json } => {
                    tune::explain(&read, &query, &since, json)?
                }
                QueriesAction::Suggest {
                    query,
                    since,
                    limit,
                    json,
                } => tune::suggest(&read, &query, &since, limit, json)?,
                QueriesAction::List | QueriesAction::Test | QueriesAction::Lint { .. } => {
                    unreachable!("handled above")
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Digest {
            action,
            since,
            format,
            schedule,
        } => {
            let read = ReadSide::open(&config)?;
            let store = Store::open(&config.state_path())?;
            digest::run(
                &read,
                &store,
                &config,
                action,
                &since,
                &format,
                schedule.as_deref(),
            )
            .await
        }
        Command::Sources {
            action: SourcesAction::Status { json },
        } => sources::status(&config, &ReadSide::open(&config)?, json),
        Command::User { action } => {
            users::run(&Store::open(&config.state_path())?, action)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Evidence { action } => evidence::run(config, action).await,
        Command::Leakwatch { action } => {
            leakwatch::run(&config, action)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { since, json } => {
            users::audit(&ReadSide::open(&config)?, &since, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Narratives {
            action,
            since,
            json,
        } => {
            let read = ReadSide::open(&config)?;
            match action {
                None => narratives::list_narratives(&read, &since, json)?,
                Some(NarrativesAction::Show {
                    id,
                    json: show_json,
                }) => narratives::show(&read, &id, json || show_json)?,
                Some(NarrativesAction::Export {
                    id,
                    stix,
                    since: export_since,
                    out,
                }) => {
                    if !stix {
                        anyhow::bail!("say which format to export: --stix (STIX 2.1 JSON)");
                    }
                    narratives::export_stix(
                        &read,
                        id.as_deref(),
                        export_since.as_ref().unwrap_or(&since),
                        out.as_deref(),
                    )?
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn ctrl_c() {
    let _ = tokio::signal::ctrl_c().await;
}

/// Who runs a command, as the audit log records it: `cli:` and the login name (`USER`,
/// `LOGNAME`), else the user id.
pub(crate) fn operator() -> String {
    let name = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        // SAFETY: getuid has no preconditions and cannot fail.
        .unwrap_or_else(|_| format!("uid {}", unsafe { libc::getuid() }));
    format!("cli:{name}")
}

/// Terminal-safe text that keeps its line breaks.
pub fn for_terminal_block(text: &str) -> String {
    text.lines()
        .map(for_terminal)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::Span;

    #[test]
    fn spans_parse_once_and_are_bounded() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-04T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let cases = [
            ("7d", Some("2026-11-27T12:00:00+00:00")),
            ("12h", Some("2026-12-04T00:00:00+00:00")),
            (" 1h 30m ", Some("2026-12-04T10:30:00+00:00")),
            ("100y", Some("1926-12-04T12:00:00+00:00")),
            ("101y", None),
            ("300000y", None),
            ("yesterday", None),
            ("", None),
        ];
        for (text, start) in cases {
            let parsed = text.parse::<Span>();
            assert_eq!(
                parsed.as_ref().ok().map(|s| s.start(now).to_rfc3339()),
                start.map(str::to_string),
                "{text:?}: {parsed:?}"
            );
        }
        assert_eq!("7d".parse::<Span>().unwrap().to_string(), "7d");
    }
}
