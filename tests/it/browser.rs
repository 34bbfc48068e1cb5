//! End to end in headless Chromium (Debian's `chromium`, installed by `.ci/run`), driven over
//! the DevTools protocol: a hostile corpus (script tags, event handlers, `javascript:` links,
//! broken markup in titles and bodies) is crawled and served; the browser is refused without a
//! session, signs in through the form, searches and sees a highlighted result, opens a
//! narrative, runs a query in the workbench and logs out. No dialog ever opens, the pages hold
//! no script element and no `javascript:` link, and the page's own `window` gains nothing a
//! payload would set.

use crate::support::{Deployment, FixtureServer, source};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// A hostile feed dated now, so its story is a narrative of this week.
fn hostile_feed() -> String {
    let now = chrono::Utc::now();
    let date = |h: i64| (now - chrono::Duration::hours(h)).to_rfc2822();
    let items = [
        (
            "&lt;img src=x onerror=\"window.pwned=1\"&gt;Tribunal warrant &lt;script&gt;window.pwned=2&lt;/script&gt; declared void",
            "javascript:window.pwned=3",
            "&lt;p onmouseover=\"window.pwned=4\"&gt;The tribunal warrant is void, they say. &lt;svg onload=window.pwned=5&gt;&lt;b&gt;&lt;i&gt;unclosed",
        ),
        (
            "Tribunal warrant void &lt;/title&gt;&lt;script&gt;alert(6)&lt;/script&gt;",
            "https://hostile.example.org/void?x=%22%3E%3Cscript%3Ealert(7)%3C/script%3E",
            "&lt;iframe src=javascript:alert(8)&gt;&lt;/iframe&gt; The tribunal warrant is void &lt;a href=\"javascript:alert(9)\"&gt;read&lt;/a&gt;",
        ),
        (
            "&amp;lt;script&amp;gt;alert(10)&amp;lt;/script&amp;gt; tribunal warrant void, a third outlet says",
            "https://hostile.example.org/third",
            "\"&gt;&lt;script&gt;alert(11)&lt;/script&gt; The tribunal warrant is void according to the minister.",
        ),
    ];
    let mut out = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Hostile</title><link>https://hostile.example.org/</link>",
    );
    for (i, (title, link, body)) in items.iter().enumerate() {
        out.push_str(&format!(
            "<item><title>{title}</title><link>{link}</link><guid isPermaLink=\"false\">h{i}</guid><pubDate>{}</pubDate><description>{body}</description></item>",
            date(i as i64 + 1)
        ));
    }
    out.push_str("</channel></rss>");
    out
}

struct Browser {
    child: std::process::Child,
    _profile: tempfile::TempDir,
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: u64,
    events: Vec<Value>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromium() -> String {
    for candidate in ["chromium", "chromium-browser", "google-chrome"] {
        if std::process::Command::new(candidate)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return candidate.to_string();
        }
    }
    panic!(
        "headless Chromium is needed for the browser tests: install Debian's `chromium` (.ci/run does)"
    );
}

impl Browser {
    async fn launch() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let child = std::process::Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--disable-dev-shm-usage",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Chromium writes the port it chose to DevToolsActivePort.
        let port_file = profile.path().join("DevToolsActivePort");
        let mut port = None;
        for _ in 0..200 {
            if let Ok(text) = std::fs::read_to_string(&port_file)
                && let Some(first) = text.lines().next()
                && let Ok(p) = first.trim().parse::<u16>()
            {
                port = Some(p);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let port = port.expect("Chromium did not open its DevTools port");
        // The page target's WebSocket.
        let mut ws_url = None;
        for _ in 0..50 {
            if let Ok(list) = reqwest_json(&format!("http://127.0.0.1:{port}/json/list")).await
                && let Some(page) = list
                    .as_array()
                    .and_then(|a| a.iter().find(|t| t["type"] == "page"))
            {
                ws_url = page["webSocketDebuggerUrl"].as_str().map(str::to_string);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (ws, _) = tokio_tungstenite::connect_async(ws_url.expect("a page target"))
            .await
            .unwrap();
        let mut browser = Browser {
            child,
            _profile: profile,
            ws,
            next_id: 0,
            events: Vec::new(),
        };
        browser.call("Page.enable", json!({})).await;
        browser.call("Runtime.enable", json!({})).await;
        browser
    }

    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.ws
            .send(Message::Text(
                json!({"id": id, "method": method, "params": params})
                    .to_string()
                    .into(),
            ))
            .await
            .unwrap();
        loop {
            let message = tokio::time::timeout(Duration::from_secs(30), self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no answer to {method}"))
                .unwrap()
                .unwrap();
            let Message::Text(text) = message else {
                continue;
            };
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["id"] == id {
                assert!(value.get("error").is_none(), "{method}: {value}");
                return value["result"].clone();
            }
            self.events.push(value);
        }
    }

    /// Waits for the next load of the page.
    async fn loaded(&mut self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(i) = self
                .events
                .iter()
                .position(|e| e["method"] == "Page.loadEventFired")
            {
                self.events.drain(..=i);
                return;
            }
            let message = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("the page did not load")
                .unwrap()
                .unwrap();
            if let Message::Text(text) = message {
                self.events.push(serde_json::from_str(&text).unwrap());
            }
        }
    }

    async fn goto(&mut self, url: &str) {
        self.events.retain(|e| e["method"] != "Page.loadEventFired");
        self.call("Page.navigate", json!({ "url": url })).await;
        self.loaded().await;
    }

    async fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true}),
            )
            .await;
        result["result"]["value"].clone()
    }

    /// Runs an expression that submits a form or clicks, and waits for the new page.
    async fn submit(&mut self, expression: &str) {
        self.events.retain(|e| e["method"] != "Page.loadEventFired");
        self.eval(expression).await;
        self.loaded().await;
    }

    async fn path(&mut self) -> String {
        self.eval("location.pathname")
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Asserts no script of the corpus ran on the current page.
    async fn assert_inert(&mut self, at: &str) {
        let dialogs: Vec<&Value> = self
            .events
            .iter()
            .filter(|e| e["method"] == "Page.javascriptDialogOpening")
            .collect();
        assert!(dialogs.is_empty(), "{at}: a dialog opened: {dialogs:?}");
        let verdict = self
            .eval("JSON.stringify({scripts: document.scripts.length, pwned: typeof window.pwned, js: document.querySelectorAll('a[href^=\"javascript:\" i], iframe, svg[onload], [onerror], [onmouseover], [onload]').length})")
            .await;
        assert_eq!(
            verdict.as_str().unwrap_or(""),
            "{\"scripts\":0,\"pwned\":\"undefined\",\"js\":0}",
            "{at}"
        );
    }
}

async fn reqwest_json(url: &str) -> Result<Value, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    client
        .get(url)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_signs_in_searches_reads_a_narrative_and_runs_the_workbench_and_no_script_runs() {
    let feeds = FixtureServer::start().await;
    feeds.put("hostile.rss", "application/rss+xml", hostile_feed());
    let deployment = Deployment::new(
        "rate_per_host = 50.0",
        &source("hostile", &feeds.url("/f/hostile.rss")),
    );
    deployment.add_query("tribunal-void", "tribunal AND void");
    let (pipeline, report) = crate::support::crawl_all(&deployment).await;
    assert_eq!(report.new_documents, 3, "{report:#?}");
    let read = pipeline.read_side().clone();
    let store = pipeline.store().clone();
    vigil::auth::add_user(
        &store,
        "ana",
        vigil::auth::Role::Analyst,
        "browser test password",
    )
    .unwrap();
    let app = vigil::web::app(vigil::web::AppState::new(
        read,
        store,
        pipeline.config().clone(),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let mut browser = Browser::launch().await;

    // Without a session: the login page.
    browser.goto(&format!("{base}/narratives")).await;
    assert_eq!(browser.path().await, "/login");
    browser.goto(&format!("{base}/?q=tribunal")).await;
    assert_eq!(browser.path().await, "/login");

    // Sign in through the form; back where the browser was going.
    browser
        .submit(
            "document.querySelector('#user').value='ana';\
             document.querySelector('#password').value='browser test password';\
             document.querySelector('form').submit();",
        )
        .await;
    assert_eq!(browser.path().await, "/");
    browser.assert_inert("after sign-in").await;

    // Search: the hostile documents are shown, highlighted, and inert.
    browser.goto(&format!("{base}/?q=tribunal+warrant")).await;
    let marks = browser
        .eval("Array.from(document.querySelectorAll('mark')).map(m => m.textContent.toLowerCase())")
        .await;
    assert!(
        marks
            .as_array()
            .is_some_and(|m| m.iter().any(|t| t == "tribunal")),
        "{marks}"
    );
    let results = browser
        .eval("document.querySelectorAll('article.hit').length")
        .await;
    assert_eq!(results, 3);
    let titles = browser
        .eval("Array.from(document.querySelectorAll('article.hit')).map(a => a.textContent).join(' | ')")
        .await;
    assert!(
        titles.as_str().unwrap_or("").contains("<script>")
            || titles.as_str().unwrap_or("").contains("alert(10)"),
        "markup spelled as text stays visible text: {titles}"
    );
    browser.assert_inert("search").await;

    // Narratives: open the story.
    browser.goto(&format!("{base}/narratives")).await;
    browser.assert_inert("narratives").await;
    let link = browser
        .eval("(document.querySelector('a[href^=\"/narratives/\"]') || {}).href || ''")
        .await;
    let link = link.as_str().unwrap_or("").to_string();
    assert!(link.contains("/narratives/n"), "a narrative link: {link:?}");
    browser.goto(&link).await;
    let heading = browser
        .eval("document.querySelector('h1').textContent")
        .await;
    assert!(!heading.as_str().unwrap_or("").is_empty());
    let body = browser.eval("document.body.innerText").await;
    assert!(body.as_str().unwrap_or("").contains("First seen"), "{body}");
    browser.assert_inert("narrative").await;

    // The workbench: change the query and run it.
    browser.goto(&format!("{base}/queries/tribunal-void")).await;
    browser
        .submit(
            "const t = document.querySelector('#toml');\
             t.value = t.value.replace('tribunal AND void', 'tribunal AND (void OR minister)');\
             document.querySelector('button[value=run]').click();",
        )
        .await;
    let body = browser.eval("document.body.innerText").await;
    let body = body.as_str().unwrap_or("").to_string();
    assert!(body.contains("Backtest: 3 matches"), "{body}");
    assert!(body.contains("Explain"), "{body}");
    browser.assert_inert("workbench").await;

    // Log out: the session is gone.
    browser
        .submit("document.querySelector('form.who button').click();")
        .await;
    assert_eq!(browser.path().await, "/login");
    browser.goto(&format!("{base}/sources")).await;
    assert_eq!(browser.path().await, "/login");
}
