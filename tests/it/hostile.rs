//! The crawler against broken and hostile servers, one named test per misbehaviour. Each hostile
//! server has its own loopback address (its own "host"), and each crawl also fetches a healthy
//! source on 127.0.0.1: the crawl must finish, the healthy source must be unaffected, and the
//! error must name the source, the URL and the cause.

use crate::support::{Deployment, FixtureServer, feed_fixtures, source};
use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vigil::{crawl::SourceOutcome, pipeline::Pipeline};

const HEALTHY: &str = "healthy";

/// Crawls `hostile` (a source named `name`) beside a healthy feed on another host; returns the
/// hostile source's outcome and the pipeline (for searches).
async fn crawl_beside_healthy(
    name: &str,
    hostile_url: &str,
    crawl_extra: &str,
) -> (SourceOutcome, Pipeline, Deployment) {
    let healthy = FixtureServer::start().await;
    healthy.put_file(
        "bbc.xml",
        "application/rss+xml",
        &feed_fixtures().join("feed-rs/rss_2.0_bbc.xml"),
    );
    let sources = [
        source(HEALTHY, &healthy.url("/f/bbc.xml")),
        source(name, hostile_url),
    ]
    .concat();
    let deployment = Deployment::new(
        &format!("rate_per_host = 50.0\ntimeout = \"3s\"\n{crawl_extra}"),
        &sources,
    );
    let config = deployment.config();
    let pipeline = Pipeline::open(config.clone()).unwrap();
    let started = Instant::now();
    let report = pipeline
        .crawl(&config.sources, None)
        .await
        .expect("the crawl itself never fails");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "deadlines hold: {:?}",
        started.elapsed()
    );
    let healthy_outcome = report.sources.iter().find(|s| s.name == HEALTHY).unwrap();
    assert!(
        healthy_outcome.error.is_none() && healthy_outcome.new_documents > 0,
        "the healthy source is unaffected: {healthy_outcome:?}"
    );
    let outcome = report
        .sources
        .iter()
        .find(|s| s.name == name)
        .unwrap()
        .clone();
    (outcome, pipeline, deployment)
}

/// Asserts the outcome failed with an error naming the source, the URL and the cause.
fn assert_fails(outcome: &SourceOutcome, url: &str, cause: &str) {
    let error = outcome
        .error
        .as_deref()
        .unwrap_or_else(|| panic!("{} should have failed: {outcome:?}", outcome.name));
    assert!(
        error.contains(&format!("\"{}\"", outcome.name)),
        "names the source: {error}"
    );
    assert!(error.contains(url), "names the url {url}: {error}");
    assert!(
        error.to_lowercase().contains(&cause.to_lowercase()),
        "names the cause {cause:?}: {error}"
    );
}

fn titles(pipeline: &Pipeline, query: &str) -> Vec<String> {
    crate::support::search(pipeline, query, 20)
        .into_iter()
        .map(|h| h.title.text)
        .collect()
}

fn rss(title: &str) -> String {
    format!(
        "<rss version=\"2.0\"><channel><title>t</title><item><title>{title}</title><link>https://n.example.org/{}</link><description>hostile test item</description></item></channel></rss>",
        title.len()
    )
}

#[tokio::test]
async fn connect_timeout() {
    // A listener whose accept queue is full: the handshake never completes.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::from(([127, 0, 0, 2], 0)).into())
        .unwrap();
    socket.listen(0).unwrap();
    let address = socket.local_addr().unwrap().as_socket().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..4 {
        if let Ok(stream) =
            std::net::TcpStream::connect_timeout(&address, Duration::from_millis(200))
        {
            fillers.push(stream);
        }
    }
    let url = format!("http://{address}/feed.xml");
    let (outcome, _, _) =
        crawl_beside_healthy("unanswered", &url, "connect_timeout = \"1s\"").await;
    assert_fails(&outcome, &url, "connect");
    drop((socket, fillers));
}

#[tokio::test]
async fn headers_then_one_byte_per_second() {
    let server = FixtureServer::start_on([127, 0, 0, 3]).await;
    let url = server.url("/stall");
    let (outcome, _, _) = crawl_beside_healthy("trickle", &url, "").await;
    assert_fails(&outcome, &url, "timed out");
}

#[tokio::test]
async fn endless_body() {
    let server = FixtureServer::start_on([127, 0, 0, 4]).await;
    let url = server.url("/endless");
    let (outcome, _, _) = crawl_beside_healthy("endless", &url, "max_body_bytes = 2097152").await;
    assert_fails(&outcome, &url, "larger than the 2097152-byte limit");
}

fn zeros_feed_prefix() -> Vec<u8> {
    b"<rss version=\"2.0\"><channel><title>".to_vec()
}

#[tokio::test]
async fn gzip_bomb() {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&zeros_feed_prefix()).unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..256 {
        encoder.write_all(&chunk).unwrap();
    }
    let bomb = encoder.finish().unwrap();
    assert!(bomb.len() < 1 << 20, "256 MiB in {} bytes", bomb.len());
    let server = FixtureServer::start_on([127, 0, 0, 5]).await;
    server.put_with_headers(
        "bomb.xml",
        "application/rss+xml",
        &[("content-encoding", "gzip")],
        bomb,
    );
    let url = server.url("/f/bomb.xml");
    let (outcome, _, _) = crawl_beside_healthy("gzip-bomb", &url, "max_body_bytes = 4194304").await;
    assert_fails(&outcome, &url, "larger than the 4194304-byte limit");
}

#[tokio::test]
async fn brotli_bomb() {
    let mut bomb = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut bomb, 1 << 16, 5, 22);
        writer.write_all(&zeros_feed_prefix()).unwrap();
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..256 {
            writer.write_all(&chunk).unwrap();
        }
    }
    assert!(bomb.len() < 1 << 20, "256 MiB in {} bytes", bomb.len());
    let server = FixtureServer::start_on([127, 0, 0, 6]).await;
    server.put_with_headers(
        "bomb.xml",
        "application/rss+xml",
        &[("content-encoding", "br")],
        bomb,
    );
    let url = server.url("/f/bomb.xml");
    let (outcome, _, _) =
        crawl_beside_healthy("brotli-bomb", &url, "max_body_bytes = 4194304").await;
    assert_fails(&outcome, &url, "larger than the 4194304-byte limit");
}

#[tokio::test]
async fn redirect_loop() {
    let server = FixtureServer::start_on([127, 0, 0, 7]).await;
    let url = server.url("/redirect-loop");
    let (outcome, _, _) = crawl_beside_healthy("loop", &url, "").await;
    assert_fails(&outcome, &url, "redirect loop");
}

#[tokio::test]
async fn redirect_chain_over_the_limit() {
    let server = FixtureServer::start_on([127, 0, 0, 8]).await;
    let url = server.url("/chain/0");
    let (outcome, _, _) = crawl_beside_healthy("chain", &url, "").await;
    assert_fails(&outcome, &url, "more than 10 redirects");
}

#[tokio::test]
async fn redirect_from_https_to_http() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.9".to_string()]).unwrap();
    let plain = FixtureServer::start_on([127, 0, 0, 10]).await;
    plain.put("feed.xml", "application/rss+xml", rss("downgraded"));
    let target = plain.url("/f/feed.xml");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let tls = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(tls));
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 9], 0)))
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let target = target.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut request = [0u8; 4096];
                let _ = tls.read(&mut request).await;
                let answer = format!(
                    "HTTP/1.1 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    let url = format!("https://127.0.0.9:{port}/feed.xml");
    let deployment_pem = certified.cert.pem();
    let dir = tempfile::tempdir().unwrap();
    let pem_path = dir.path().join("ca.pem");
    std::fs::write(&pem_path, deployment_pem).unwrap();
    let extra = format!("extra_root_certificates = [\"{}\"]", pem_path.display());
    let (outcome, _, _) = crawl_beside_healthy("downgrade", &url, &extra).await;
    assert_fails(&outcome, &url, "redirect from https to http");
    assert!(
        plain.request_times("/f/feed.xml").is_empty(),
        "the http target was never requested"
    );
}

#[tokio::test]
async fn invalid_utf8_is_decoded_not_fatal() {
    let server = FixtureServer::start_on([127, 0, 0, 11]).await;
    let mut body = rss("Cour p\u{e9}nale invalid").into_bytes();
    let at = body.windows(7).position(|w| w == b"invalid").unwrap();
    body.splice(at..at, [0xff, 0xfe, b' ']);
    server.put("feed.xml", "application/rss+xml; charset=utf-8", body);
    let (outcome, pipeline, _deployment) =
        crawl_beside_healthy("broken-utf8", &server.url("/f/feed.xml"), "").await;
    assert!(outcome.error.is_none(), "{outcome:?}");
    assert_eq!(titles(&pipeline, "invalid").len(), 1);
}

#[tokio::test]
async fn wrong_charset_label_is_overruled() {
    let server = FixtureServer::start_on([127, 0, 0, 12]).await;
    let title = "Международный уголовный суд выдал ордер на арест бывшего министра обороны";
    let text = rss(title);
    let (body, _, _) = encoding_rs::WINDOWS_1251.encode(&text);
    server.put(
        "feed.xml",
        "application/rss+xml; charset=utf-8",
        body.into_owned(),
    );
    let (outcome, pipeline, _deployment) =
        crawl_beside_healthy("mislabelled", &server.url("/f/feed.xml"), "").await;
    assert!(outcome.error.is_none(), "{outcome:?}");
    assert_eq!(titles(&pipeline, "ордер"), vec![title.to_string()]);
}

#[tokio::test]
async fn encodings_declared_in_the_header_the_prolog_or_not_at_all() {
    let server = FixtureServer::start_on([127, 0, 0, 13]).await;
    let samples = [
        (
            "windows-1251",
            "Международный уголовный суд выдал ордер на арест бывшего министра обороны страны",
        ),
        (
            "windows-1252",
            "La Cour pénale internationale a délivré un mandat d'arrêt contre l'ancien ministre",
        ),
        (
            "iso-8859-1",
            "Der Internationale Strafgerichtshof hat einen Haftbefehl gegen den früheren Minister erlassen",
        ),
        (
            "shift_jis",
            "国際刑事裁判所は元国防大臣に対する逮捕状を発付した。政府は裁判所の管轄権を認めないと述べた",
        ),
    ];
    let mut sources = String::new();
    for (label, title) in samples {
        let encoding = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
        let text = rss(title);
        let (encoded, _, _) = encoding.encode(&text);
        let places = [
            (
                "header",
                format!("application/rss+xml; charset={label}"),
                Vec::new(),
            ),
            (
                "prolog",
                "application/rss+xml".to_string(),
                format!("<?xml version=\"1.0\" encoding=\"{label}\"?>").into_bytes(),
            ),
            ("none", "application/rss+xml".to_string(), Vec::new()),
        ];
        for (place, content_type, prefix) in places {
            let name = format!("{label}-{place}.xml");
            server.put(&name, &content_type, [prefix, encoded.to_vec()].concat());
            sources.push_str(&source(
                &format!("{label}-{place}"),
                &server.url(&format!("/f/{name}")),
            ));
        }
    }
    let deployment = Deployment::new("rate_per_host = 50.0", &sources);
    let (pipeline, report) = crate::support::crawl_all(&deployment).await;
    assert_eq!(report.failed().count(), 0, "{report:#?}");
    let hits = crate::support::search(&pipeline, "hostile", 100);
    // The same title from three places is one document per title (same link): check each title once.
    for (label, title) in samples {
        assert!(
            hits.iter().any(|h| h.title.text == title),
            "{label}: {title} not among {:?}",
            hits.iter().map(|h| &h.title.text).collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn truncated_feed() {
    let server = FixtureServer::start_on([127, 0, 0, 14]).await;
    server.put_file(
        "cut.xml",
        "application/rss+xml",
        &feed_fixtures().join("feed-rs/rss_2.0_invalid_1.xml"),
    );
    let url = server.url("/f/cut.xml");
    let (outcome, _, _) = crawl_beside_healthy("truncated", &url, "").await;
    assert_fails(&outcome, &url, "not a readable feed");
}

#[tokio::test]
async fn a_feed_cut_in_the_title_of_its_tenth_item_keeps_nine_and_says_so() {
    let server = FixtureServer::start_on([127, 0, 0, 24]).await;
    server.put_file(
        "ten.xml",
        "application/rss+xml",
        &crate::support::fixtures().join("lenient/truncated_in_title.xml"),
    );
    let url = server.url("/f/ten.xml");
    let (outcome, pipeline, _deployment) = crawl_beside_healthy("ten", &url, "").await;
    assert!(outcome.error.is_none(), "{outcome:?}");
    assert_eq!(outcome.new_documents, 9, "{outcome:?}");
    assert_eq!(outcome.unreadable_items.len(), 1, "{outcome:?}");
    assert!(outcome.unreadable_items[0].contains("item 10"));
    let statuses =
        vigil::health::source_statuses(pipeline.config(), pipeline.read_side(), chrono::Utc::now())
            .unwrap();
    let ten = statuses.iter().find(|s| s.name == "ten").unwrap();
    assert_eq!(ten.losses().as_deref(), Some("1 of 10 items unreadable"));
}

#[tokio::test]
async fn html_where_a_feed_was_expected() {
    let server = FixtureServer::start_on([127, 0, 0, 15]).await;
    server.put(
        "page",
        "text/html; charset=utf-8",
        "<!doctype html><html><head><title>Welcome</title></head><body><p>Moved.</p></body></html>",
    );
    let url = server.url("/f/page");
    let (outcome, _, _) = crawl_beside_healthy("html-page", &url, "").await;
    assert_fails(&outcome, &url, "an HTML page, not a feed");
}

#[tokio::test]
async fn empty_200() {
    let server = FixtureServer::start_on([127, 0, 0, 16]).await;
    server.put("empty.xml", "application/rss+xml", "");
    let url = server.url("/f/empty.xml");
    let (outcome, _, _) = crawl_beside_healthy("empty", &url, "").await;
    assert_fails(&outcome, &url, "empty response body");
}

#[tokio::test]
async fn storm_of_500s() {
    let storm = FixtureServer::start_on([127, 0, 0, 17]).await;
    let healthy = FixtureServer::start().await;
    healthy.put_file(
        "bbc.xml",
        "application/rss+xml",
        &feed_fixtures().join("feed-rs/rss_2.0_bbc.xml"),
    );
    let mut sources = source(HEALTHY, &healthy.url("/f/bbc.xml"));
    for i in 0..30 {
        sources.push_str(&source(
            &format!("storm{i}"),
            &storm.url(&format!("/status/500?n={i}")),
        ));
    }
    let deployment = Deployment::new("rate_per_host = 20.0", &sources);
    let (_pipeline, report) = crate::support::crawl_all(&deployment).await;
    let healthy_outcome = report.sources.iter().find(|s| s.name == HEALTHY).unwrap();
    assert!(healthy_outcome.error.is_none() && healthy_outcome.new_documents > 0);
    let failed = report.failed().count();
    let deferred = report
        .sources
        .iter()
        .filter(|s| s.deferred_until.is_some())
        .count();
    assert_eq!(failed + deferred, 30, "{report:#?}");
    assert!(
        deferred > 0,
        "the host's backoff spared it the rest of the storm"
    );
    let hits = storm.request_times("/status/500").len();
    assert!(hits < 30, "{hits} requests reached the failing host");
    for outcome in report.failed() {
        assert_fails(outcome, &storm.base, "http status 500");
    }
}

#[tokio::test]
async fn connection_reset_mid_body() {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 18], 0)))
        .await
        .unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request).await;
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 100000\r\n\r\n<rss version=\"2.0\"><channel><title>cut";
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.flush().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
            drop(stream);
        }
    });
    let url = format!("http://{address}/feed.xml");
    let (outcome, _, _) = crawl_beside_healthy("reset", &url, "").await;
    assert_fails(&outcome, &url, "body");
}

#[tokio::test]
async fn ten_megabyte_single_line_title() {
    let server = FixtureServer::start_on([127, 0, 0, 19]).await;
    let title = "A".repeat(10 * 1024 * 1024);
    server.put("huge.xml", "application/rss+xml", rss(&title));
    let (outcome, pipeline, _deployment) =
        crawl_beside_healthy("huge-title", &server.url("/f/huge.xml"), "").await;
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    let hits = crate::support::search(&pipeline, "hostile", 5);
    assert_eq!(hits.len(), 1);
    assert!(
        hits[0].title.text.chars().count() <= vigil::normalise::MAX_TITLE_CHARS + 1,
        "the title was bounded"
    );
}

#[tokio::test]
async fn hundred_thousand_items_in_one_feed() {
    let server = FixtureServer::start_on([127, 0, 0, 20]).await;
    let mut body = String::from("<rss version=\"2.0\"><channel><title>flood</title>");
    for i in 0..100_000 {
        body.push_str(&format!(
            "<item><title>flood item {i}</title><link>https://flood.example.org/{i}</link></item>"
        ));
    }
    body.push_str("</channel></rss>");
    server.put("flood.xml", "application/rss+xml", body);
    let (outcome, _, _) = crawl_beside_healthy("flood", &server.url("/f/flood.xml"), "").await;
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    assert_eq!((outcome.items, outcome.dropped_items), (10_000, 90_000));
    assert_eq!(outcome.new_documents, 10_000);
}

#[tokio::test]
async fn a_name_that_resolves_to_loopback_is_refused_at_connect() {
    // The name check lets ordinary names through; the resolver, which decides the addresses
    // the connection is made to, refuses loopback ones. This is the check DNS rebinding meets.
    use reqwest::dns::Resolve;
    let name: reqwest::dns::Name = "localhost".parse().unwrap();
    let error = vigil::fetch::guard::PublicOnlyResolver
        .resolve(name)
        .await
        .err()
        .expect("refused");
    assert!(
        error
            .to_string()
            .contains("resolves only to non-public addresses (127.0.0.1)")
            || error.to_string().contains("(::1)"),
        "{error}"
    );
}

#[tokio::test]
async fn a_private_address_is_refused_unless_the_source_allows_it() {
    let server = FixtureServer::start_on([127, 0, 0, 22]).await;
    server.put("feed.xml", "application/rss+xml", rss("inside"));
    let url = server.url("/f/feed.xml");
    let healthy = FixtureServer::start().await;
    healthy.put_file(
        "bbc.xml",
        "application/rss+xml",
        &feed_fixtures().join("feed-rs/rss_2.0_bbc.xml"),
    );
    let sources = format!(
        "{}[[sources]]\nname = \"inside\"\nkind = \"feed\"\nurl = \"{url}\"\n",
        source(HEALTHY, &healthy.url("/f/bbc.xml"))
    );
    let deployment = Deployment::new("rate_per_host = 50.0", &sources);
    let (_pipeline, report) = crate::support::crawl_all(&deployment).await;
    let outcome = report.sources.iter().find(|s| s.name == "inside").unwrap();
    assert_fails(outcome, &url, "refused: 127.0.0.22 is not a public address");
    assert!(
        server.request_times("/").is_empty(),
        "no request reached it, robots.txt included"
    );
}

#[tokio::test]
async fn retry_after_on_429_is_honoured() {
    let server = FixtureServer::start_on([127, 0, 0, 23]).await;
    let url = server.url("/f/limited.xml");
    // The fixture server can only add headers to 200 answers; a tiny raw server gives a 429.
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 24], 0)))
        .await
        .unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request).await;
            let answer = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7200\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    drop((server, url));
    let url = format!("http://{address}/feed.xml");
    let (outcome, pipeline, _deployment) = crawl_beside_healthy("limited", &url, "").await;
    assert_fails(&outcome, &url, "http status 429");
    let state = pipeline
        .read_side()
        .store
        .source_state("limited")
        .unwrap()
        .unwrap();
    let wait = state.next_due.unwrap() - chrono::Utc::now();
    assert!(
        wait > chrono::Duration::minutes(119),
        "Retry-After: 7200 honoured, next poll in {wait}"
    );
}

#[tokio::test]
async fn the_next_poll_follows_the_feeds_own_hints() {
    let server = FixtureServer::start_on([127, 0, 0, 25]).await;
    let body = "<rss version=\"2.0\"><channel><title>t</title><ttl>120</ttl><item><title>x</title><link>https://n.example.org/x</link></item></channel></rss>";
    server.put_with_headers(
        "ttl.xml",
        "application/rss+xml",
        &[("cache-control", "max-age=10800")],
        body,
    );
    let (outcome, pipeline, _deployment) =
        crawl_beside_healthy("hinted", &server.url("/f/ttl.xml"), "").await;
    assert!(outcome.error.is_none());
    let state = pipeline
        .read_side()
        .store
        .source_state("hinted")
        .unwrap()
        .unwrap();
    let wait = (state.next_due.unwrap() - chrono::Utc::now()).num_minutes();
    // max(interval 10m, ttl 120m, max-age 180m) = 180m, ±10% jitter.
    assert!((160..=199).contains(&wait), "next poll in {wait} minutes");
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn memory_stays_bounded_against_bombs_floods_and_endless_bodies() {
    let bombs = FixtureServer::start_on([127, 0, 0, 26]).await;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..512 {
        gzip.write_all(&chunk).unwrap();
    }
    bombs.put_with_headers(
        "gzip.xml",
        "application/rss+xml",
        &[("content-encoding", "gzip")],
        gzip.finish().unwrap(),
    );
    let mut flood = String::from("<rss version=\"2.0\"><channel><title>flood</title>");
    for i in 0..100_000 {
        flood.push_str(&format!(
            "<item><title>flood item {i}</title><link>https://flood.example.org/{i}</link></item>"
        ));
    }
    flood.push_str("</channel></rss>");
    let floods = FixtureServer::start_on([127, 0, 0, 27]).await;
    floods.put("flood.xml", "application/rss+xml", flood);
    let endless = FixtureServer::start_on([127, 0, 0, 28]).await;
    let sources = [
        crate::support::source("gzip-bomb", &bombs.url("/f/gzip.xml")),
        crate::support::source("flood", &floods.url("/f/flood.xml")),
        crate::support::source("endless", &endless.url("/endless")),
    ]
    .concat();
    let deployment = Deployment::new("timeout = \"5s\"", &sources);
    let dir = deployment.dir.path().to_path_buf();
    let (status, peak_kib) = tokio::task::spawn_blocking(move || {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
            .arg("crawl")
            .current_dir(&dir)
            .env("RUST_LOG", "off")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // VmHWM is the peak resident memory of the child's own address space: it starts fresh
        // at exec, unlike ru_maxrss, which also counts the parent's pages the child shared until
        // exec (and so grew with the test process). It only grows; sample it until the exit.
        let status_file = format!("/proc/{}/status", child.id());
        let mut peak_kib = 0u64;
        loop {
            if let Ok(text) = std::fs::read_to_string(&status_file) {
                let hwm = text
                    .lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse().ok());
                peak_kib = peak_kib.max(hwm.unwrap_or(0));
            }
            if let Some(status) = child.try_wait().unwrap() {
                return (status.code().unwrap_or(-1), peak_kib);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    })
    .await
    .unwrap();
    eprintln!(
        "vigil crawl over a 512 MiB gzip bomb, an endless body and 100,000 items: peak resident memory {} MiB",
        peak_kib / 1024
    );
    assert_eq!(
        status, 2,
        "the bomb and the endless body failed, the flood was read"
    );
    // 512 MiB of decompressed bomb, an endless body and 100,000 items: the crawler's peak stays
    // far below what any of them would take unbounded.
    assert!(
        peak_kib > 0 && peak_kib < 256 * 1024,
        "peak resident memory {} MiB",
        peak_kib / 1024
    );
}

#[tokio::test]
async fn encodings_declared_in_an_html_meta_tag() {
    let server = FixtureServer::start_on([127, 0, 0, 29]).await;
    let samples = [
        (
            "windows-1251",
            "Международный уголовный суд выдал ордер на арест бывшего министра обороны страны.",
        ),
        (
            "windows-1252",
            "La Cour pénale internationale a délivré un mandat d'arrêt contre l'ancien ministre de la Défense.",
        ),
        (
            "iso-8859-1",
            "Der Internationale Strafgerichtshof hat einen Haftbefehl gegen den früheren Verteidigungsminister erlassen.",
        ),
        (
            "shift_jis",
            "国際刑事裁判所は元国防大臣に対する逮捕状を発付した。政府は裁判所の管轄権を認めないと述べた。",
        ),
    ];
    let mut items = String::new();
    for (label, text) in samples {
        let page = format!(
            "<html><head><meta charset=\"{label}\"><title>t</title></head><body><article><p>{text}</p><p>{text}</p><p>{text}</p></article></body></html>"
        );
        let encoding = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
        let (bytes, _, _) = encoding.encode(&page);
        // No charset in the Content-Type: only the meta tag says what the bytes are.
        server.put(&format!("{label}.html"), "text/html", bytes.into_owned());
        items.push_str(&format!(
            "<item><title>{label}</title><link>{}</link><description>summary</description></item>",
            server.url(&format!("/f/{label}.html"))
        ));
    }
    server.put(
        "feed.xml",
        "application/rss+xml",
        format!("<rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>"),
    );
    let sources = format!(
        "[[sources]]\nname = \"meta\"\nkind = \"feed\"\nurl = \"{}\"\nallow_private = true\n",
        server.url("/f/feed.xml")
    );
    let deployment = Deployment::new("rate_per_host = 50.0", &sources);
    let (pipeline, report) = crate::support::crawl_all(&deployment).await;
    assert_eq!(
        (report.sources[0].articles, report.sources[0].article_errors),
        (4, 0),
        "{report:#?}"
    );
    let read = pipeline.read_side();
    read.reader.reload().unwrap();
    for (label, text) in samples {
        let docs = read
            .reader
            .docs_by_id(&[vigil::normalise::document_id(
                &server.url(&format!("/f/{label}.html")),
                None,
                "meta",
                "",
                chrono::Utc::now(),
            )])
            .unwrap();
        assert!(
            docs.first().is_some_and(|d| d.body.contains(text)),
            "{label}: {:?}",
            docs.first().map(|d| &d.body)
        );
    }
}
