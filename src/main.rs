//! The `vigil` command line: parses arguments, opens what a command needs, prints results for a
//! person (or JSON for a script) and turns failures into one clear line and an exit code:
//! 0 success, 1 an error that stopped the command, 2 a crawl where some sources failed.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use vigil::config::Config;
use vigil::index::reader::{SearchFilter, Sort};
use vigil::pipeline::{CrawlEvent, CrawlReport, Observer, Pipeline};
use vigil::readside::ReadSide;
use vigil::store::Store;
use vigil::text::for_terminal;

#[path = "cli/digest.rs"]
mod digest;
#[path = "cli/narratives.rs"]
mod narratives;
#[path = "cli/tune.rs"]
mod tune;
#[path = "cli/users.rs"]
mod users;

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
    /// Search the index.
    Search {
        /// The query (tantivy syntax over title and body; AND between bare words).
        query: String,
        /// Only documents published within this span, e.g. 7d or 12h.
        #[arg(long)]
        since: Option<String>,
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
        since: String,
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
        since: String,
        #[arg(long)]
        json: bool,
    },
    /// Manage the users of the web UI and API.
    User {
        #[command(subcommand)]
        action: users::Action,
    },
    /// The audit log: logins, query edits, exports and account changes.
    Audit {
        #[arg(long, default_value = "7d")]
        since: String,
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
        since: String,
        /// Also draw the matches per day as an SVG chart into this file.
        #[arg(long)]
        chart: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// What an edit changes: documents gained and lost between OLD and NEW.
    Diff {
        old: String,
        new: String,
        #[arg(long, default_value = "30d")]
        since: String,
        #[arg(long)]
        json: bool,
    },
    /// The parsed query, with how many documents each clause matches on its own.
    Explain {
        query: String,
        #[arg(long, default_value = "30d")]
        since: String,
        #[arg(long)]
        json: bool,
    },
    /// Terms and phrases over-represented in a query's matches: candidates to add or exclude.
    Suggest {
        query: String,
        #[arg(long, default_value = "30d")]
        since: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
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

async fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Demo { once, port } => demo(once, port).await,
        Command::Crawl => {
            let config = Config::load(&cli.config)?;
            let pipeline = open_pipeline(config)?;
            let sources = pipeline.config().sources.clone();
            if sources.is_empty() {
                bail!("{}: no [[sources]] configured", cli.config.display());
            }
            let (bar, observer) = progress_bar();
            let report = pipeline.crawl(&sources, Some(observer)).await?;
            bar.finish_and_clear();
            print_report(&report);
            Ok(crawl_exit_code(&report))
        }
        Command::Run { serve } => {
            let config = Config::load(&cli.config)?;
            run_all(config, serve, false).await
        }
        Command::Search {
            query,
            since,
            source,
            limit,
            sort,
            json,
        } => {
            let config = Config::load(&cli.config)?;
            let read = ReadSide::open(&config)?;
            search(&read, &query, since, source, limit, &sort, json)
        }
        Command::Queries { action, dir } => {
            if matches!(action, QueriesAction::List | QueriesAction::Test) {
                let dir = match dir {
                    Some(dir) => dir,
                    None if cli.config.exists() => Config::load(&cli.config)?.queries_dir,
                    None => PathBuf::from("queries"),
                };
                return queries(action, &dir);
            }
            let mut config = Config::load(&cli.config)?;
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
                QueriesAction::List | QueriesAction::Test => {}
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Digest {
            action,
            since,
            format,
            schedule,
        } => {
            let config = Config::load(&cli.config)?;
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
        } => {
            let config = Config::load(&cli.config)?;
            let read = ReadSide::open(&config)?;
            sources_status(&config, &read, json)
        }
        Command::User { action } => {
            let config = Config::load(&cli.config)?;
            users::run(&Store::open(&config.state_path())?, action)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { since, json } => {
            let config = Config::load(&cli.config)?;
            let read = ReadSide::open(&config)?;
            users::audit(&read, &since, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Narratives {
            action,
            since,
            json,
        } => {
            let config = Config::load(&cli.config)?;
            let read = ReadSide::open(&config)?;
            match action {
                None => narratives::list_narratives(&read, &since, json)?,
                Some(NarrativesAction::Show {
                    id,
                    json: show_json,
                }) => narratives::show(&read, &id, json || show_json)?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            addr,
            read_only,
            secure_cookies,
        } => {
            let config = Config::load(&cli.config)?;
            if read_only {
                let read = ReadSide::open(&config)?;
                let store = Arc::new(Store::open(&config.state_path())?);
                serve(read, store, config, addr, secure_cookies, ctrl_c()).await?;
                Ok(ExitCode::SUCCESS)
            } else {
                run_all(config, Some(addr), secure_cookies).await
            }
        }
    }
}

fn open_pipeline(config: Config) -> Result<Pipeline> {
    Ok(Pipeline::open(config)?)
}

async fn ctrl_c() {
    let _ = tokio::signal::ctrl_c().await;
}

fn progress_bar() -> (ProgressBar, Observer) {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} crawling [{bar:30}] {pos}/{len} sources {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let handle = bar.clone();
    let observer: Observer = Arc::new(move |event: &CrawlEvent| match event {
        CrawlEvent::Started { sources } => handle.set_length(*sources as u64),
        CrawlEvent::SourceDone { name, items, error } => {
            handle.inc(1);
            match error {
                Some(error) => handle.println(format!("  failed: {}", for_terminal(error))),
                None => handle.set_message(format!("{}: {items} items", for_terminal(name))),
            }
        }
    });
    (bar, observer)
}

fn print_report(report: &CrawlReport) {
    let failed = report.failed().count();
    println!(
        "crawled {} sources in {:.1}s: {} new documents, {} stored-query matches, {} failed",
        report.sources.len(),
        report.elapsed_ms as f64 / 1000.0,
        report.new_documents,
        report.matches,
        failed
    );
    for source in &report.sources {
        match &source.error {
            Some(error) => println!(
                "  ✗ {:<28} {}",
                for_terminal(&source.name),
                for_terminal(error)
            ),
            None if source.not_modified => {
                println!("  ✓ {:<28} not modified", for_terminal(&source.name))
            }
            None => println!(
                "  ✓ {:<28} {} items, {} new",
                for_terminal(&source.name),
                source.items,
                source.new_documents
            ),
        }
    }
    if failed > 0 {
        let names: Vec<String> = report.failed().map(|s| for_terminal(&s.name)).collect();
        println!("failing sources: {}", names.join(", "));
    }
}

fn crawl_exit_code(report: &CrawlReport) -> ExitCode {
    if report.failed().count() > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn search(
    read: &ReadSide,
    text: &str,
    since: Option<String>,
    sources: Vec<String>,
    limit: usize,
    sort: &str,
    json: bool,
) -> Result<ExitCode> {
    let sort = match sort {
        "newest" => Sort::Newest,
        "relevance" => Sort::Relevance,
        other => bail!("--sort {other:?}: use newest or relevance"),
    };
    let since = match since {
        Some(text) => {
            let span = vigil::types::parse_duration(&text)
                .map_err(anyhow::Error::msg)
                .context("--since")?;
            Some(chrono::Utc::now() - chrono::Duration::from_std(span)?)
        }
        None => None,
    };
    let compiled = read
        .compile(text)
        .map_err(|e| anyhow::anyhow!("{}", e.render(text)))?;
    let highlight = compiled.highlight_query(&read.reader);
    let filter = SearchFilter {
        since,
        sources,
        limit: limit.max(1),
        offset: 0,
        sort,
        ..Default::default()
    };
    let results = read
        .reader
        .search_highlighting(&*compiled.query, &*highlight, &filter)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
        return Ok(ExitCode::SUCCESS);
    }
    let bold = |s: &str| for_terminal(s);
    println!(
        "{} documents match; showing {}",
        results.total,
        results.hits.len()
    );
    for hit in &results.hits {
        println!();
        println!("{}", hit.title.render(bold, "\u{1b}[1m", "\u{1b}[0m"));
        println!(
            "  {} · {} · {}",
            for_terminal(&hit.source),
            hit.published.format("%Y-%m-%d %H:%M UTC"),
            for_terminal(&hit.url)
        );
        println!(
            "  {}",
            hit.snippet.render(bold, "\u{1b}[1;33m", "\u{1b}[0m")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn sources_status(config: &Config, read: &ReadSide, json: bool) -> Result<ExitCode> {
    let rows = vigil::health::source_statuses(config, read, chrono::Utc::now())?;
    let troubled = rows
        .iter()
        .filter(|r| {
            matches!(
                r.health,
                vigil::health::Health::Unhealthy | vigil::health::Health::Silent
            )
        })
        .count();
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map_or("-".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string())
        };
        println!(
            "{:<28} {:<9} {:>9} {:<16} {:<16} last error",
            "source", "health", "items/day", "last success", "next poll"
        );
        for row in &rows {
            let error = row
                .last_error
                .as_deref()
                .map(|e| vigil::text::truncate_chars(&for_terminal(e), 100))
                .unwrap_or_default();
            println!(
                "{:<28} {:<9} {:>9.1} {:<16} {:<16} {}",
                for_terminal(&row.name),
                row.health.as_str(),
                row.items_per_day,
                time(row.last_success),
                time(row.next_poll),
                error
            );
        }
        println!("{} sources, {} unhealthy or silent", rows.len(), troubled);
    }
    Ok(if troubled > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn queries(action: QueriesAction, dir: &Path) -> Result<ExitCode> {
    let index = vigil::index::in_memory();
    let queries = vigil::query::stored::load_dir(dir, &index)?;
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
            println!("{} stored queries in {}", queries.len(), dir.display());
            Ok(ExitCode::SUCCESS)
        }
        QueriesAction::Test => {
            let failures = vigil::query::stored::run_examples(&queries)?;
            let examples: usize = queries.iter().map(|q| q.examples.len()).sum();
            for failure in &failures {
                println!("FAIL {}", for_terminal(&failure.to_string()));
            }
            println!(
                "{} queries, {} examples, {} failed",
                queries.len(),
                examples,
                failures.len()
            );
            Ok(if failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        _ => bail!("this queries command needs the index: run it with a configuration"),
    }
}

async fn serve(
    read: ReadSide,
    store: Arc<Store>,
    config: Config,
    addr: SocketAddr,
    secure_cookies: bool,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    println!("web UI: http://{local}/  (Ctrl-C to stop)");
    let mut state = vigil::web::AppState::new(read, store, config);
    state.secure_cookies = secure_cookies;
    axum::serve(listener, vigil::web::app(state))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// The crawler, the alerting loop and (with an address) the web server, in one process, until
/// Ctrl-C.
async fn run_all(
    config: Config,
    addr: Option<SocketAddr>,
    secure_cookies: bool,
) -> Result<ExitCode> {
    let pipeline = open_pipeline(config)?;
    println!(
        "crawling {} sources; Ctrl-C stops after the current pass",
        pipeline.config().sources.len()
    );
    let observer: Observer = Arc::new(|event: &CrawlEvent| {
        if let CrawlEvent::SourceDone {
            error: Some(error), ..
        } = event
        {
            eprintln!("{}", for_terminal(error));
        }
    });
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    // Scheduled digests, urgent alerts and the outbox run beside the crawl, every minute.
    let alerting = tokio::spawn(vigil::alert::run(
        pipeline.read_side().clone(),
        pipeline.store().clone(),
        pipeline.config().clone(),
        std::time::Duration::from_secs(60),
        until_stopped(),
    ));
    let web = match addr {
        Some(addr) => Some(tokio::spawn(serve(
            pipeline.read_side().clone(),
            pipeline.store().clone(),
            pipeline.config().clone(),
            addr,
            secure_cookies,
            until_stopped(),
        ))),
        None => None,
    };
    let result = pipeline.run(ctrl_c(), Some(observer)).await;
    let _ = stop.send(true);
    let _ = alerting.await;
    if let Some(web) = web {
        web.await??;
    }
    result?;
    Ok(ExitCode::SUCCESS)
}

async fn demo(once: bool, port: u16) -> Result<ExitCode> {
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
                "  copy-paste: {} near-identical documents from {} sources",
                copies.documents,
                copies.sources.len()
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

/// Terminal-safe text that keeps its line breaks.
fn for_terminal_block(text: &str) -> String {
    text.lines()
        .map(for_terminal)
        .collect::<Vec<_>>()
        .join("\n")
}
