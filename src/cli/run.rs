//! `vigil crawl`, `vigil run` and `vigil serve`: one crawl pass with a progress bar and a report,
//! or the crawler, the alerting loop and the web server in one process until Ctrl-C.

use super::ctrl_c;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use vigil::config::Config;
use vigil::pipeline::{CrawlEvent, CrawlReport, Observer, Pipeline};
use vigil::readside::ReadSide;
use vigil::store::Store;
use vigil::text::for_terminal;

/// One crawl pass over every configured source, with a progress bar; exit code 2 when a
/// source failed.
pub async fn crawl(config: Config, config_path: &std::path::Path) -> Result<ExitCode> {
    let pipeline = open_pipeline(config)?;
    let sources = pipeline.config().sources.clone();
    if sources.is_empty() {
        anyhow::bail!("{}: no [[sources]] configured", config_path.display());
    }
    let (bar, observer) = progress_bar();
    let report = pipeline.crawl(&sources, Some(observer)).await?;
    bar.finish_and_clear();
    print_report(&report);
    Ok(crawl_exit_code(&report))
}

pub fn open_pipeline(config: Config) -> Result<Pipeline> {
    Ok(Pipeline::open(config)?)
}

pub fn progress_bar() -> (ProgressBar, Observer) {
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

pub fn print_report(report: &CrawlReport) {
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

pub fn crawl_exit_code(report: &CrawlReport) -> ExitCode {
    if report.failed().count() > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

pub async fn serve(
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
    let settings = config.web.clone();
    let mut state = vigil::web::AppState::new(read, store, config);
    state.secure_cookies = secure_cookies;
    vigil::web::server::serve(listener, vigil::web::app(state), &settings, shutdown).await?;
    Ok(())
}

/// The crawler, the alerting loop and (with an address) the web server, in one process, until
/// Ctrl-C.
pub async fn run_all(
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
    // Evidence: flagged narratives' documents archived as WARC, every minute.
    let archiving = tokio::spawn(vigil::archive::run(
        pipeline.read_side().clone(),
        pipeline.store().clone(),
        pipeline.config().clone(),
        pipeline.fetcher().clone(),
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
    let result = if pipeline.config().cluster.is_some() {
        println!("distributed crawl: dispatching jobs to workers over the broker");
        pipeline.run_cluster(ctrl_c()).await
    } else {
        pipeline.run(ctrl_c(), Some(observer)).await
    };
    let _ = stop.send(true);
    let _ = alerting.await;
    let _ = archiving.await;
    if let Some(web) = web {
        web.await??;
    }
    result?;
    Ok(ExitCode::SUCCESS)
}

/// `vigil worker`: a crawl worker of a distributed deployment, until Ctrl-C.
pub async fn worker(
    mut config: Config,
    nats: Option<String>,
    name: Option<String>,
) -> Result<ExitCode> {
    if let Some(url) = nats {
        let mut settings =
            config
                .cluster
                .clone()
                .unwrap_or_else(|| vigil::config::cluster::ClusterSettings {
                    nats: String::new(),
                    partitions: 64,
                    lease: std::time::Duration::from_secs(15),
                    ack_wait: std::time::Duration::from_secs(120),
                    max_deliver: 4,
                });
        settings.nats = url;
        config.cluster = Some(settings);
    }
    if config.cluster.is_none() {
        anyhow::bail!(
            "no broker: set [cluster] nats in {} or pass --nats nats://HOST:4222",
            config.path.display()
        );
    }
    let name = name.unwrap_or_else(|| {
        let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
        format!("{}-{}", host.trim(), std::process::id())
    });
    // A key of the broker's key-value store: letters, digits, dash and underscore.
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    println!("worker {name}: Ctrl-C stops it");
    vigil::cluster::run_worker(config, name, ctrl_c()).await?;
    Ok(ExitCode::SUCCESS)
}
