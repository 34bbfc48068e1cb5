//! The server against a hostile client: one named test per attack, each against a real
//! `vigil serve` process on 127.0.0.1, asserting the bound (time, and the server's own memory
//! and threads read from `/proc/<pid>/status`) and that ordinary requests still work.

use crate::support::{Deployment, FixtureServer, crawl_all, source, spawn_serve, vigil};
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use vigil::auth::Role;

/// Bodies written to make every costly shape expensive if it ran: long, and full of the same
/// common words in every order.
fn long_body(i: usize) -> String {
    let words = [
        "the", "court", "judge", "the", "of", "witness", "the", "said",
    ];
    (0..600)
        .map(|k| words[(k * 7 + i) % words.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

/// A served deployment: `vigil serve` with `[web]` settings, 300 long documents, a viewer
/// (`vic`, token `viewer`), an analyst (`ana`, token `analyst`) and a stored query.
struct Target {
    child: Child,
    base: String,
    deployment: Deployment,
    viewer: String,
    analyst: String,
    http: reqwest::Client,
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Memory and threads of a process, from `/proc`.
#[derive(Debug, Clone, Copy)]
struct Usage {
    rss_mb: u64,
    peak_mb: u64,
    threads: u64,
}

impl Target {
    async fn start(web: &str) -> Target {
        let deployment = Deployment::new("", &format!("\n[web]\n{web}\n"));
        deployment.add_query("court", "court");
        let config = deployment.config();
        let index = vigil::index::open_or_create(&config.index_dir()).unwrap();
        let mut writer = vigil::index::writer::Writer::open(&index).unwrap();
        let now = chrono::Utc::now();
        let docs: Vec<vigil::model::Document> = (0..300)
            .map(|i| vigil::model::Document {
                id: format!("doc{i}"),
                url: format!("https://news.example.org/{i}"),
                source: "wire".into(),
                kind: "news".into(),
                title: format!("The court and the judge, report {i}"),
                body: long_body(i),
                author: String::new(),
                lang: "en".into(),
                published: now - chrono::Duration::hours(i as i64),
                fetched: now,
                content_hash: i as u64,
                simhash: 0,
                dup_group: format!("doc{i}"),
                social: Default::default(),
            })
            .collect();
        writer.upsert(&docs).unwrap();
        writer.commit().unwrap();
        drop(writer);
        let store = vigil::store::Store::open(&config.state_path()).unwrap();
        vigil::auth::add_user(&store, "vic", Role::Viewer, "viewer password 1").unwrap();
        vigil::auth::add_user(&store, "ana", Role::Analyst, "analyst password 1").unwrap();
        let viewer = vigil::auth::create_api_token(&store, "vic", "t", None).unwrap();
        let analyst = vigil::auth::create_api_token(&store, "ana", "t", None).unwrap();
        drop(store);
        let addr = crate::support::free_address();
        let child = spawn_serve(deployment.dir.path(), &addr);
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let base = format!("http://{addr}");
        let target = Target {
            child,
            base,
            deployment,
            viewer,
            analyst,
            http,
        };
        for _ in 0..200 {
            if target
                .http
                .get(format!("{}/healthz", target.base))
                .send()
                .await
                .is_ok()
            {
                return target;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("vigil serve did not start");
    }

    fn usage(&self) -> Usage {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        Usage {
            rss_mb: field("VmRSS:") / 1024,
            peak_mb: field("VmHWM:") / 1024,
            threads: field("Threads:"),
        }
    }

    /// GET with a token: status and body.
    async fn get(&self, token: &str, path_and_query: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("{}{path_and_query}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// An ordinary search still answers, quickly.
    async fn still_serves(&self) {
        let started = Instant::now();
        let (status, body) = self.get(&self.viewer, "/api/search?q=witness").await;
        assert_eq!(status, 200, "{body}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    /// A sign-in attempt (the login form's double-submit token is the client's to choose).
    async fn sign_in(&self, user: &str, password: &str, forwarded: Option<&str>) -> (u16, String) {
        let mut request = self
            .http
            .post(format!("{}/login", self.base))
            .header("cookie", "vigil_login=t0ken")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&[
                ("user", user),
                ("password", password),
                ("csrf", "t0ken"),
                ("next", "/"),
            ]));
        if let Some(address) = forwarded {
            request = request.header("x-forwarded-for", address);
        }
        // A connection over the per-client cap is closed unanswered: status 0.
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                (status, response.text().await.unwrap_or_default())
            }
            Err(_) => (0, String::new()),
        }
    }
}

fn form_body(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn a_sloppy_phrase_of_one_repeated_word_is_refused_before_it_runs() {
    let target = Target::start("").await;
    let before = target.usage();
    let attack = format!("\"{}\"~100", vec!["the"; 12].join(" "));
    let q = encode(&attack);
    for path in [
        format!("/api/search?q={q}"),
        format!("/api/search/stats?q={q}"),
        format!("/export.csv?q={q}"),
        format!("/api/queries/court/backtest?q={q}"),
    ] {
        let started = Instant::now();
        let (status, body) = target.get(&target.analyst, &path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body.contains("repeated"), "{path}: {body}");
        assert!(started.elapsed() < Duration::from_secs(2), "{path}");
    }
    // The workbench refuses to run it or save it.
    let form = [
        ("csrf", ""),
        ("action", "run"),
        ("since", "30d"),
        (
            "toml",
            &format!(
                "id = \"court\"\ntitle = \"t\"\nseverity = \"watch\"\nquery = '''{attack}'''\n"
            ),
        ),
    ];
    let page = target
        .http
        .post(format!("{}/queries/court", target.base))
        .bearer_auth(&target.analyst)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&form))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("is repeated"), "{page}");
    // So does the command line, and a stored query of that shape does not load.
    let cli = vigil(&["search", &attack], target.deployment.dir.path());
    assert!(!cli.status.success());
    assert!(String::from_utf8_lossy(&cli.stderr).contains("is repeated"));
    target.deployment.add_query("stall", &attack);
    let queries = vigil(&["queries", "test"], target.deployment.dir.path());
    assert!(!queries.status.success());
    assert!(String::from_utf8_lossy(&queries.stderr).contains("is repeated"));
    let after = target.usage();
    assert!(
        after.peak_mb < before.peak_mb + 64,
        "{before:?} → {after:?}"
    );
    target.still_serves().await;
}

#[tokio::test]
async fn seven_hundred_wildcards_in_one_query_are_refused() {
    let target = Target::start("").await;
    let before = target.usage();
    let attack = (0..740)
        .map(|i| format!("wor{i}*"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let started = Instant::now();
    let (status, body) = target
        .get(
            &target.viewer,
            &format!("/api/search?q={}", encode(&attack)),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("wildcard or fuzzy words"), "{body}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(target.usage().peak_mb < before.peak_mb + 64);
    target.still_serves().await;
}

#[tokio::test]
async fn backtests_and_ranges_far_in_the_past_are_refused_not_run() {
    let target = Target::start("").await;
    let before = target.usage();
    for (path, expected) in [
        ("/api/queries/court/backtest?since=100000y", 400),
        ("/api/queries/court/backtest?since=300000y", 400),
        ("/api/queries/court/backtest?since=400d", 400),
        ("/api/queries/court/backtest?since=30d", 200),
        ("/api/search?q=court&since=300000y", 400),
        ("/api/search?q=court&until=%2B275760-09-13T00:00:00Z", 400),
        ("/api/search/stats?q=court&since=99999999999999999999d", 400),
        ("/api/narratives?since=1000d", 400),
    ] {
        let started = Instant::now();
        let (status, body) = target.get(&target.viewer, path).await;
        assert_eq!(status, expected, "{path}: {body}");
        assert!(started.elapsed() < Duration::from_secs(3), "{path}");
    }
    let after = target.usage();
    assert!(
        after.peak_mb < before.peak_mb + 64,
        "{before:?} → {after:?}"
    );
}

#[tokio::test]
async fn a_search_past_its_time_budget_is_a_503_not_partial_results() {
    let target = Target::start("request_timeout = \"1ns\"").await;
    let (status, body) = target
        .get(&target.viewer, "/api/search?q=witness&sort=relevance")
        .await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("time budget"), "{body}");
    let (status, _) = target
        .get(&target.viewer, "/api/search/stats?q=court")
        .await;
    assert_eq!(status, 503);
    // What costs nothing the user chose is not budgeted.
    assert_eq!(target.get(&target.viewer, "/api/sources").await.0, 200);
}

#[tokio::test]
async fn three_hundred_parallel_sign_ins_without_an_account_hold_memory_and_threads() {
    let target = std::sync::Arc::new(Target::start("").await);
    let before = target.usage();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..300 {
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            target
                .sign_in(&format!("nobody{i}"), "not a password at all", None)
                .await
                .0
        }));
    }
    let mut peak_threads = 0;
    let mut statuses = Vec::new();
    for task in tasks {
        peak_threads = peak_threads.max(target.usage().threads);
        statuses.push(task.await.unwrap());
    }
    let after = target.usage();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(
        statuses.iter().all(|s| [0, 401, 429].contains(s)),
        "{statuses:?}"
    );
    assert!(
        checked <= 20,
        "{checked} checked, the per-address limit is 20"
    );
    assert!(peak_threads < 64, "{peak_threads} threads");
    assert!(
        after.peak_mb < before.peak_mb + 160,
        "{before:?} → {after:?}"
    );
    // And nothing much is held once the burst is over (password checks free their 19 MiB).
    assert!(after.rss_mb < before.rss_mb + 64, "{before:?} → {after:?}");
    assert!(started.elapsed() < Duration::from_secs(60));
    target.still_serves().await;
}

#[tokio::test]
async fn parallel_guesses_at_one_password_are_checked_at_most_five_times() {
    let target = std::sync::Arc::new(Target::start("").await);
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            target.sign_in("ana", "a wrong guess here", None).await.0
        }));
    }
    let mut checked = 0;
    for task in tasks {
        match task.await.unwrap() {
            401 => checked += 1,
            0 | 429 => {}
            other => panic!("status {other}"),
        }
    }
    assert!(
        (1..=5).contains(&checked),
        "{checked} guesses were checked; the limit is 5"
    );
    // Even the right password now waits out the window.
    assert_eq!(
        target.sign_in("ana", "analyst password 1", None).await.0,
        429
    );
}

#[tokio::test]
async fn a_forged_forwarded_for_neither_escapes_throttling_nor_enters_the_audit_log() {
    let target = Target::start("").await;
    let mut statuses = Vec::new();
    for i in 0..25 {
        let forged = format!("198.51.100.{i}");
        statuses.push(
            target
                .sign_in(&format!("user{i}"), "wrong password here", Some(&forged))
                .await
                .0,
        );
    }
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 20);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 5);
    let audit = vigil(&["audit", "--json"], target.deployment.dir.path());
    let log = String::from_utf8_lossy(&audit.stdout);
    assert!(log.contains("127.0.0.1"), "{log}");
    assert!(!log.contains("198.51.100."), "{log}");
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client() {
    let target = Target::start("trusted_proxies = [\"127.0.0.1\"]").await;
    for i in 0..3 {
        let forged = format!("203.0.113.7, 198.51.100.{i}");
        assert_eq!(
            target
                .sign_in("nobody", "wrong password here", Some(&forged))
                .await
                .0,
            401
        );
    }
    let audit = vigil(&["audit", "--json"], target.deployment.dir.path());
    let log = String::from_utf8_lossy(&audit.stdout);
    // The proxy appends the client it saw; what the client wrote before it is not trusted.
    assert!(log.contains("198.51.100.2"), "{log}");
    assert!(!log.contains("203.0.113.7"), "{log}");
}

#[tokio::test]
async fn connections_that_never_finish_their_headers_are_cut_off() {
    let target = Target::start("header_timeout = \"1s\"\nmax_connections = 64").await;
    let addr = target.base.trim_start_matches("http://").to_string();
    let before = target.usage();
    let mut slow = Vec::new();
    for _ in 0..300 {
        if let Ok(mut stream) = std::net::TcpStream::connect(&addr) {
            let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n");
            slow.push(stream);
        }
    }
    // An ordinary client still gets through once the slow ones have been cut off.
    let started = Instant::now();
    let mut served = false;
    while started.elapsed() < Duration::from_secs(15) {
        if let Ok(Ok(response)) = tokio::time::timeout(
            Duration::from_secs(3),
            target.http.get(format!("{}/healthz", target.base)).send(),
        )
        .await
        {
            served = response.status() == 200;
            if served {
                break;
            }
        }
    }
    assert!(served, "the server stayed held by slow clients");
    // The slow connections were closed by the server (end of stream or reset, not silence).
    for stream in slow.iter_mut().take(64) {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(3)));
        let mut buffer = [0u8; 256];
        match stream.read(&mut buffer) {
            Ok(0) => {}
            Err(e)
                if !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            other => panic!("a slow connection was left open: {other:?}"),
        }
    }
    // A kept-alive connection that goes quiet after its answer is closed too.
    let mut idle = std::net::TcpStream::connect(&addr).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let _ = idle.set_read_timeout(Some(Duration::from_secs(10)));
    let mut answer = [0u8; 512];
    assert!(idle.read(&mut answer).unwrap() > 0);
    let quiet = Instant::now();
    assert_eq!(idle.read(&mut answer).unwrap_or(0), 0);
    assert!(
        quiet.elapsed() < Duration::from_secs(5),
        "{:?}",
        quiet.elapsed()
    );
    let after = target.usage();
    assert!(after.threads < 64, "{after:?}");
    assert!(
        after.peak_mb < before.peak_mb + 64,
        "{before:?} → {after:?}"
    );
}

/// An analyst's broken stored-query file does not stop the server's searches; it is counted in
/// the metrics (a process of its own here, so the gauge is this server's).
#[tokio::test]
async fn a_broken_stored_query_is_skipped_and_counted_in_the_metrics() {
    let target = Target::start("").await;
    std::fs::write(
        target.deployment.dir.path().join("queries/broken.toml"),
        "id = \"broken\"\ntitle = \"b\"\nquery = \"court AND (\"\nseverity = \"watch\"\n",
    )
    .unwrap();
    let (status, listed) = target.get(&target.viewer, "/api/queries").await;
    assert_eq!(status, 200, "{listed}");
    assert!(
        listed.contains("court") && !listed.contains("\"broken\""),
        "{listed}"
    );
    let (_, metrics) = target.get(&target.viewer, "/metrics").await;
    assert!(
        metrics.contains("vigil_stored_queries_failing 1"),
        "{metrics}"
    );
    target.still_serves().await;
}

#[tokio::test]
async fn sign_in_redirects_only_to_a_local_path() {
    let target = Target::start("").await;
    for (next, expected) in [
        // Sent as the attacker sent it (`next=/%09/…` in the body) the form decodes
        // to a tab; a literal "%09" stays a harmless path on this site.
        ("/\t/evil.example.org", "/"),
        ("/%09/evil.example.org", "/%09/evil.example.org"),
        ("/x\r\nSet-Cookie: a=b", "/"),
        ("//evil.example.org", "/"),
        ("/\\evil.example.org", "/"),
        ("https://evil.example.org/", "/"),
        ("/narratives?since=7d", "/narratives?since=7d"),
    ] {
        let response = target
            .http
            .post(format!("{}/login", target.base))
            .header("cookie", "vigil_login=t0ken")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&[
                ("user", "vic"),
                ("password", "viewer password 1"),
                ("csrf", "t0ken"),
                ("next", next),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303, "{next:?}");
        assert_eq!(
            response.headers()["location"].to_str().unwrap(),
            expected,
            "{next:?}"
        );
    }
}

#[tokio::test]
async fn an_analyst_cannot_overwrite_the_calendar_or_the_lists() {
    let target = Target::start("").await;
    let calendar = target.deployment.dir.path().join("queries/calendar.toml");
    std::fs::write(&calendar, "# the court's calendar\n").unwrap();
    for (path, id) in [
        ("/queries/new-query", "calendar"),
        ("/queries/new-query", "lists"),
        ("/queries/calendar", ""),
    ] {
        let toml = format!("id = \"{id}\"\ntitle = \"t\"\nquery = \"court\"\n");
        let response = target
            .http
            .post(format!("{}{path}", target.base))
            .bearer_auth(&target.analyst)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&[
                ("csrf", ""),
                ("action", "save"),
                ("id", id),
                ("toml", &toml),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{path} {id}");
    }
    assert_eq!(
        std::fs::read_to_string(&calendar).unwrap(),
        "# the court's calendar\n"
    );
    assert!(
        !target
            .deployment
            .dir
            .path()
            .join("queries/lists.toml")
            .exists()
    );
}

#[tokio::test]
async fn api_tokens_are_listed_revoked_expire_and_end_with_a_password_change() {
    let target = Target::start("").await;
    let dir = target.deployment.dir.path();
    let vigil = |args: &[&str]| vigil(args, dir);
    let made = vigil(&[
        "user",
        "token",
        "vic",
        "--label",
        "nightly",
        "--expires",
        "30d",
    ]);
    let token = String::from_utf8_lossy(&made.stdout).trim().to_string();
    assert_eq!(target.get(&token, "/api/sources").await.0, 200);
    let listed = String::from_utf8_lossy(&vigil(&["user", "tokens", "vic"]).stdout).to_string();
    assert!(
        listed.contains("nightly") && !listed.contains(&token),
        "{listed}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&vigil(&["user", "tokens", "vic", "--json"]).stdout).unwrap();
    let id = json
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["label"] == "nightly")
        .and_then(|t| t["id"].as_str())
        .unwrap()
        .to_string();
    assert!(json.to_string().contains("expires"));
    assert!(vigil(&["user", "revoke", &id]).status.success());
    assert_eq!(target.get(&token, "/api/sources").await.0, 401, "revoked");
    assert!(!vigil(&["user", "revoke", &id]).status.success(), "gone");
    // A new password revokes the user's other tokens too.
    assert_eq!(target.get(&target.viewer, "/api/sources").await.0, 200);
    std::fs::write(dir.join("pw"), "a brand new password\n").unwrap();
    assert!(
        vigil(&["user", "passwd", "vic", "--password-file", "pw"])
            .status
            .success()
    );
    assert_eq!(target.get(&target.viewer, "/api/sources").await.0, 401);
    // A token cannot be made to last forever by accident: "never" must be said.
    assert!(
        !vigil(&["user", "token", "ana", "--expires", "100000y"])
            .status
            .success()
    );
}

#[tokio::test]
async fn credentials_in_source_addresses_are_never_shown() {
    let server = FixtureServer::start_on([127, 0, 0, 70]).await;
    let url = server
        .url("/status/401")
        .replacen("//", "//reader:Pa55word-xyz@", 1)
        + "?api_key=SECRETKEY123&page=1";
    let deployment = Deployment::new("", &source("locked", &url));
    let (pipeline, report) = crawl_all(&deployment).await;
    let error = report.sources[0].error.clone().unwrap_or_default();
    assert!(!error.is_empty());
    let read = pipeline.read_side();
    let statuses =
        vigil::health::source_statuses(pipeline.config(), read, chrono::Utc::now()).unwrap();
    let shown = serde_json::to_string(&statuses).unwrap();
    for text in [&error, &shown] {
        assert!(!text.contains("SECRETKEY123"), "{text}");
        assert!(!text.contains("Pa55word"), "{text}");
        assert!(text.contains("127.0.0.70"), "{text}");
    }
    assert!(shown.contains("api_key=***"), "{shown}");
    // Nor in what `vigil crawl` prints and logs (the index is the crawl's alone).
    drop(pipeline);
    // On a blocking thread: the fixture server answers from this test's runtime.
    let dir = deployment.dir.path().to_path_buf();
    let crawled = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(["crawl"])
            .current_dir(dir)
            .env("RUST_LOG", "debug,tantivy=info")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&crawled.stdout),
        String::from_utf8_lossy(&crawled.stderr)
    );
    assert!(
        printed.contains("locked") && printed.contains("api_key=***"),
        "{printed}"
    );
    assert!(
        !printed.contains("SECRETKEY123") && !printed.contains("Pa55word"),
        "{printed}"
    );
}

#[tokio::test]
async fn allow_private_reaches_the_sources_own_host_and_port_only() {
    let home = FixtureServer::start_on([127, 0, 0, 71]).await;
    let other_host = FixtureServer::start_on([127, 0, 0, 72]).await;
    let other_port = FixtureServer::start_on([127, 0, 0, 71]).await;
    other_host.put("feed.xml", "application/rss+xml", feed(&[]));
    other_port.put(
        "page.html",
        "text/html",
        "<html><body><article><p>secret intranet page</p></article></body></html>",
    );
    let inner = other_port.url("/f/page.html");
    home.put("feed.xml", "application/rss+xml", feed(&[&inner]));
    // The source's own feed redirects to another private host: refused.
    let redirecting = home.url(&format!(
        "/to?url={}",
        encode(&other_host.url("/f/feed.xml"))
    ));
    let sources = source("home", &home.url("/f/feed.xml")) + &source("hop", &redirecting);
    let deployment = Deployment::new("", &sources);
    let (_pipeline, report) = crawl_all(&deployment).await;
    let hop = report.sources.iter().find(|s| s.name == "hop").unwrap();
    assert!(
        hop.error
            .as_deref()
            .is_some_and(|e| e.contains("its own host and port")),
        "{hop:?}"
    );
    assert!(other_host.request_times("/f/feed.xml").is_empty());
    // An item on the same host but another port is not fetched as a private page.
    assert!(other_port.request_times("/f/page.html").is_empty());
}

fn feed(links: &[&str]) -> String {
    let items: String = links
        .iter()
        .map(|l| {
            format!(
                "<item><title>Item</title><link>{l}</link><description>short</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>f</title><link>https://news.example.org/</link><description>d</description>{items}</channel></rss>"
    )
}

#[test]
fn audit_piped_into_a_reader_that_stops_early_ends_quietly() {
    let deployment = Deployment::new("", "");
    let config = deployment.config();
    std::fs::create_dir_all(&config.data_dir).unwrap();
    let store = vigil::store::Store::open(&config.state_path()).unwrap();
    for i in 0..3_000 {
        store
            .audit("ana", "login failed", &format!("attempt {i}"), "127.0.0.1")
            .unwrap();
    }
    drop(store);
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["audit", "--since", "1d"])
        .current_dir(deployment.dir.path())
        .env("RUST_LOG", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    let _ = child.stdout.as_mut().unwrap().read(&mut first);
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
