//! The web UI and API over the crawled demo corpus, through `app().oneshot()`: nothing but
//! `/healthz` and the login page without a session or token; the login form (its own CSRF
//! token, wrong passwords, throttling, cookie attributes); every page; the workbench (run,
//! roles, CSRF, save with audit, download); CSV export; logout; and every JSON endpoint checked
//! against `docs/openapi.json`.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use serde_json::Value;
use std::path::Path;
use tower::ServiceExt;
use vigil::auth::Role;

struct Client {
    app: axum::Router,
    cookie: Option<String>,
    token: Option<String>,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Client {
    async fn send(&self, request: axum::http::request::Builder, body: Body) -> Reply {
        let mut request = request;
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        if let Some(token) = &self.token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 8 << 20)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri), Body::empty()).await
    }

    async fn post(&self, uri: &str, form: &[(&str, &str)]) -> Reply {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.send(
            Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            Body::from(body),
        )
        .await
    }
}

/// The value of a hidden input in a page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name={name} value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_string()
}

fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// Signs in through the form; returns the session cookie ("vigil_session=…").
async fn sign_in(app: &axum::Router, user: &str, password: &str) -> Reply {
    let anonymous = Client {
        app: app.clone(),
        cookie: None,
        token: None,
    };
    let form = anonymous.get("/login?next=/narratives").await;
    let login_cookie = set_cookie(&form.headers, "vigil_login").unwrap();
    let csrf = hidden(&form.body, "csrf");
    let with_cookie = Client {
        app: app.clone(),
        cookie: Some(login_cookie.split(';').next().unwrap().to_string()),
        token: None,
    };
    with_cookie
        .post(
            "/login",
            &[
                ("user", user),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/narratives"),
            ],
        )
        .await
}

// --- A small JSON Schema check (the subset docs/openapi.json uses) -----------------------------

fn check(schema: &Value, value: &Value, root: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/components/schemas/");
        let target = &root["components"]["schemas"][name];
        assert!(!target.is_null(), "{reference} is not defined");
        return check(target, value, root, at);
    }
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let errors: Vec<String> = options
            .iter()
            .filter_map(|o| check(o, value, root, at).err())
            .collect();
        return if errors.len() == options.len() - 1 {
            Ok(())
        } else {
            Err(format!("{at}: not exactly one of the options: {errors:?}"))
        };
    }
    if let Some(types) = schema.get("type") {
        let allowed: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let ok = allowed.contains(&actual) || (actual == "integer" && allowed.contains(&"number"));
        if !ok {
            return Err(format!("{at}: {actual}, expected {allowed:?}"));
        }
    }
    if let (Some(options), false) = (
        schema.get("enum").and_then(Value::as_array),
        value.is_null(),
    ) {
        if !options.contains(value) {
            return Err(format!("{at}: {value} is not one of {options:?}"));
        }
    }
    if let Value::Object(map) = value {
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for key in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(key) {
                    return Err(format!("{at}: {key} missing"));
                }
            }
        }
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (key, sub) in properties {
                if let Some(v) = map.get(key) {
                    check(sub, v, root, &format!("{at}.{key}"))?;
                }
            }
            for key in map.keys() {
                if !properties.contains_key(key) {
                    return Err(format!("{at}: {key} is not in the schema"));
                }
            }
        }
    }
    if let (Value::Array(items), Some(sub)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check(sub, item, root, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

fn response_schema<'a>(spec: &'a Value, path: &str) -> &'a Value {
    &spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
}

#[tokio::test]
async fn pages_and_api_need_a_login_and_show_everything() {
    let data = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The stored queries are copied: the workbench saves into the folder.
    let queries = data.path().join("queries");
    std::fs::create_dir_all(queries.join("lists")).unwrap();
    for dir in ["", "lists"] {
        for entry in std::fs::read_dir(root.join("queries").join(dir))
            .unwrap()
            .flatten()
        {
            if entry.path().is_file() {
                std::fs::copy(entry.path(), queries.join(dir).join(entry.file_name())).unwrap();
            }
        }
    }
    let server = vigil::demo::serve_corpus(&root.join("demo")).await.unwrap();
    let config =
        vigil::demo::load_config(&root.join("demo"), &server.base_url, data.path(), &queries)
            .unwrap();
    let pipeline = vigil::pipeline::Pipeline::open(config.clone()).unwrap();
    pipeline.crawl(&config.sources, None).await.unwrap();
    let read = pipeline.read_side().clone();
    let store = pipeline.store().clone();
    vigil::auth::add_user(&store, "ana", Role::Analyst, "analyst password 1").unwrap();
    vigil::auth::add_user(&store, "vic", Role::Viewer, "viewer password 12").unwrap();
    let token = vigil::auth::create_api_token(&store, "vic", "tests", None).unwrap();
    let app = vigil::web::app(vigil::web::AppState::new(
        read.clone(),
        store,
        config.clone(),
    ));
    let anonymous = Client {
        app: app.clone(),
        cookie: None,
        token: None,
    };

    // Nothing without a session but /healthz, the login page and the stylesheet.
    let r = anonymous.get("/").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/login?next=%2F");
    for path in ["/narratives", "/queries", "/sources", "/digests"] {
        assert_eq!(
            anonymous.get(path).await.status,
            StatusCode::SEE_OTHER,
            "{path}"
        );
    }
    for path in [
        "/api/search?q=court",
        "/api/narratives",
        "/metrics",
        "/export.csv?q=court",
    ] {
        let r = anonymous.get(path).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let forged = Client {
        app: app.clone(),
        cookie: Some("vigil_session=0123456789abcdef".into()),
        token: Some("vgl_not_a_token".into()),
    };
    assert_eq!(
        forged.get("/api/search?q=court").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(anonymous.get("/healthz").await.status, StatusCode::OK);
    assert_eq!(anonymous.get("/style.css").await.status, StatusCode::OK);
    let login = anonymous.get("/login").await;
    assert_eq!(login.status, StatusCode::OK);
    let login_cookie = set_cookie(&login.headers, "vigil_login").unwrap();
    assert!(login_cookie.contains("HttpOnly") && login_cookie.contains("SameSite=Strict"));

    // The login form: another site's post (no matching token) is refused; a wrong password is
    // refused and audited; the right one opens a session with a strict cookie.
    let cross_site = anonymous
        .post(
            "/login",
            &[
                ("user", "ana"),
                ("password", "analyst password 1"),
                ("csrf", "x"),
            ],
        )
        .await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
    let wrong = sign_in(&app, "ana", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("wrong password"));
    let ok = sign_in(&app, "ana", "analyst password 1").await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.headers[header::LOCATION], "/narratives");
    let session = set_cookie(&ok.headers, "vigil_session").unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(attribute), "{session}");
    }
    assert!(!session.contains("Secure"), "plain http on 127.0.0.1");
    let ana = Client {
        app: app.clone(),
        cookie: Some(session.split(';').next().unwrap().to_string()),
        token: None,
    };

    // Throttling: five failures for one user lock it for a while, even with the right password.
    for _ in 0..5 {
        assert_eq!(
            sign_in(&app, "vic", "guess guess guess").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = sign_in(&app, "vic", "viewer password 12").await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers.contains_key(header::RETRY_AFTER));

    // Search: highlighted results, facets, the volume chart, export links; security headers.
    let page = ana.get("/?q=warrant&since=30d").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<mark>"), "highlighted");
    assert!(page.body.contains("<svg") && page.body.contains("Results over time"));
    assert!(page.body.contains("<h3>Sources</h3>") && page.body.contains("<h3>Languages</h3>"));
    assert!(page.body.contains("/export.csv?q=warrant"));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'")
            && csp.contains("frame-ancestors 'none'")
            && !csp.contains("script-src")
    );
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    assert!(!page.body.contains("<script"));
    // A facet link narrows the search; a stored query works as a filter on its own.
    let filtered = ana.get("/?q=warrant&since=30d&lang=fr").await;
    assert!(filtered.body.contains("× any"));
    let by_query = ana.get("/?query=void-warrant&since=30d").await;
    assert!(by_query.body.contains(" results"), "{}", by_query.body);
    // A vendor query pasted into the workbench comes back in Vigil's spelling.
    let lint = ana
        .get("/queries/lint?q=khan+NEAR+corrupt%5E2&dialect=meltwater")
        .await;
    assert!(
        lint.body.contains("khan NEAR/4 corrupt") && lint.body.contains("Vigil reads it"),
        "{}",
        lint.body
    );
    let invalid = ana.get("/?q=court+ONEAR+warrant").await;
    assert!(
        invalid.body.contains("class=error"),
        "a caret message: {}",
        invalid.body
    );

    // Narratives: the list, then one narrative's page.
    let list = ana.get("/narratives").await;
    assert_eq!(list.status, StatusCode::OK);
    let start = list
        .body
        .find("href=\"/narratives/")
        .expect("a narrative link")
        + "href=\"".len();
    let link = list.body[start..].split('"').next().unwrap().to_string();
    let one = ana.get(&link).await;
    assert_eq!(one.status, StatusCode::OK);
    for part in [
        "First seen",
        "Documents per hour",
        "Newest documents",
        "Sources",
    ] {
        assert!(one.body.contains(part), "{part} on {link}");
    }
    assert_eq!(
        ana.get("/narratives/nnot-a-cluster").await.status,
        StatusCode::NOT_FOUND
    );
    for path in ["/sources", "/digests", "/queries", "/digests/preview"] {
        let r = ana.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
    }
    assert!(
        ana.get("/sources").await.body.contains("hague-herald"),
        "sources listed"
    );

    // The workbench: the stored file, run with an edit, explain, diff, examples.
    let bench = ana.get("/queries/void-warrant").await;
    assert_eq!(bench.status, StatusCode::OK);
    assert!(bench.body.contains("Backtest") && bench.body.contains("Explain"));
    let csrf = hidden(&bench.body, "csrf");
    let stored = std::fs::read_to_string(queries.join("void-warrant.toml")).unwrap();
    // The edit widens the query (its examples still behave).
    let start = stored.find("query = '''").unwrap() + "query = '''".len();
    let end = start + stored[start..].find("'''").unwrap();
    let edited = format!(
        "{}\"totally invalid warrant\" OR ({}){}",
        &stored[..start],
        &stored[start..end],
        &stored[end..]
    );
    let run = ana
        .post(
            "/queries/void-warrant",
            &[
                ("csrf", &csrf),
                ("toml", &edited),
                ("since", "30d"),
                ("action", "run"),
            ],
        )
        .await;
    assert_eq!(run.status, StatusCode::OK);
    assert!(
        run.body.contains("Against the stored version"),
        "{}",
        run.body
    );
    // A query pasted from another tool is read as that tool's, in the editor.
    let pasted = ana
        .post(
            "/queries/void-warrant",
            &[
                ("csrf", &csrf),
                (
                    "toml",
                    "id = \"void-warrant\"\ntitle = \"t\"\nseverity = \"watch\"\nquery = 'khan NEAR corrupt^2'\n",
                ),
                ("since", "30d"),
                ("action", "lint-meltwater"),
            ],
        )
        .await;
    assert!(
        pasted.body.contains("khan NEAR/4 corrupt") && pasted.body.contains("relevance boost"),
        "{}",
        pasted.body
    );
    // Saving needs the form's token, and an analyst.
    let no_token = ana
        .post(
            "/queries/void-warrant",
            &[("csrf", "wrong"), ("toml", &edited), ("action", "save")],
        )
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    let viewer = Client {
        app: app.clone(),
        cookie: None,
        token: Some(token.clone()),
    };
    let refused = viewer
        .post(
            "/queries/void-warrant",
            &[("toml", &edited), ("action", "save")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let broken = ana
        .post(
            "/queries/void-warrant",
            &[
                ("csrf", &csrf),
                ("toml", "query = '''(unclosed'''"),
                ("action", "save"),
            ],
        )
        .await;
    assert!(broken.body.contains("Not saved"), "{}", broken.body);
    assert_eq!(
        std::fs::read_to_string(queries.join("void-warrant.toml")).unwrap(),
        stored
    );
    let saved = ana
        .post(
            "/queries/void-warrant",
            &[
                ("csrf", &csrf),
                ("toml", &edited),
                ("since", "30d"),
                ("action", "save"),
            ],
        )
        .await;
    assert!(saved.body.contains("Saved to"), "{}", saved.body);
    assert_eq!(
        std::fs::read_to_string(queries.join("void-warrant.toml")).unwrap(),
        edited
    );
    // The percolator and the API see the saved query at once.
    let current = read.queries();
    let q = current.iter().find(|q| q.id == "void-warrant").unwrap();
    assert!(
        q.query_text.contains("totally invalid warrant"),
        "{}",
        q.query_text
    );
    let download = ana.get("/queries/void-warrant/toml").await;
    assert_eq!(download.body, edited);
    assert!(
        download.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("void-warrant.toml")
    );

    // CSV export, audited.
    let csv = ana.get("/export.csv?q=warrant&since=30d").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body
            .starts_with("published,source,kind,lang,title,url,snippet\r\n")
    );
    assert!(csv.body.lines().count() > 2);
    let audit = read
        .store
        .audit_log(chrono::Utc::now() - chrono::Duration::hours(1), 100)
        .unwrap();
    for action in [
        "login",
        "login failed",
        "login throttled",
        "query edit",
        "export",
    ] {
        assert!(
            audit.iter().any(|e| e.action == action),
            "{action} not audited: {audit:?}"
        );
    }

    // The API, with a token, checked against the OpenAPI document.
    let spec: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("docs/openapi.json")).unwrap())
            .unwrap();
    let narratives: Value =
        serde_json::from_str(&viewer.get("/api/narratives?since=30d").await.body).unwrap();
    let narrative_id = narratives[0]["id"]
        .as_str()
        .expect("a narrative")
        .to_string();
    let search: Value =
        serde_json::from_str(&viewer.get("/api/search?q=warrant&since=30d").await.body).unwrap();
    let doc_id = search["hits"][0]["id"].as_str().expect("a hit").to_string();
    let cases = [
        (
            "/api/search",
            "/api/search?q=warrant&since=30d&sort=relevance".to_string(),
        ),
        (
            "/api/search/stats",
            "/api/search/stats?q=warrant&since=30d".to_string(),
        ),
        ("/api/documents/{id}", format!("/api/documents/{doc_id}")),
        ("/api/narratives", "/api/narratives?since=30d".to_string()),
        (
            "/api/narratives/{id}",
            format!("/api/narratives/{narrative_id}"),
        ),
        ("/api/queries", "/api/queries".to_string()),
        (
            "/api/queries/{id}/backtest",
            "/api/queries/hacked-files/backtest?since=30d".to_string(),
        ),
        ("/api/sources", "/api/sources".to_string()),
        ("/api/digests", "/api/digests".to_string()),
        ("/api/digests/preview", "/api/digests/preview".to_string()),
    ];
    for (path, uri) in &cases {
        let r = viewer.get(uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
        let value: Value = serde_json::from_str(&r.body).unwrap();
        let schema = response_schema(&spec, path);
        assert!(!schema.is_null(), "{path} is not in the OpenAPI document");
        check(schema, &value, &spec, path).unwrap_or_else(|e| panic!("{uri}: {e}"));
    }
    let documented: Vec<&String> = spec["paths"].as_object().unwrap().keys().collect();
    for (path, _) in &cases {
        assert!(documented.iter().any(|d| d == path));
    }
    let r = viewer.get("/api/search?q=(unclosed").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    check(
        &spec["components"]["schemas"]["Error"],
        &serde_json::from_str(&r.body).unwrap(),
        &spec,
        "error",
    )
    .unwrap();
    // A range of decades is drawn in at most 401 bars of whole days.
    let wide: Value = serde_json::from_str(
        &viewer
            .get("/api/search/stats?q=warrant&since=1990-01-01")
            .await
            .body,
    )
    .unwrap();
    assert!(wide["volume"].as_array().unwrap().len() <= 401, "{wide}");
    assert_eq!(wide["bucket_secs"].as_i64().unwrap() % 86_400, 0);
    assert_eq!(
        viewer.get("/api/documents/none").await.status,
        StatusCode::NOT_FOUND
    );
    let metrics = viewer.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    for name in [
        "vigil_documents_indexed_total",
        "vigil_fetch_seconds_bucket",
        "vigil_percolate_seconds_count",
        "vigil_queue_documents",
        "vigil_source_errors_total",
    ] {
        assert!(metrics.body.contains(name), "{name} missing");
    }

    // Logging out needs the token and ends the session.
    let home = ana.get("/sources").await;
    let csrf = hidden(&home.body, "csrf");
    assert_eq!(
        ana.post("/logout", &[("csrf", "forged")]).await.status,
        StatusCode::FORBIDDEN
    );
    let out = ana.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(ana.get("/sources").await.status, StatusCode::SEE_OTHER);
    drop(server);
}

/// `vigil serve` as an operator runs it: one process crawls (the demo corpus from a local
/// server), indexes and serves; a user and an API token are made with the CLI; the audit log
/// records both.
#[tokio::test]
async fn vigil_serve_crawls_and_serves_in_one_process() {
    let data = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let server = vigil::demo::serve_corpus(&root.join("demo")).await.unwrap();
    crate::support::write_demo_config(data.path(), &data.path().join("index"), &server.base_url);
    std::fs::write(data.path().join("pw"), "operator password 1\n").unwrap();
    let dir = data.path().to_path_buf();
    let run = move |args: Vec<&'static str>| {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || crate::support::vigil(&args, &dir))
    };
    let added = run(vec![
        "user",
        "add",
        "ana",
        "--role",
        "analyst",
        "--password-file",
        "pw",
    ])
    .await
    .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let token = run(vec!["user", "token", "ana", "--label", "ops"])
        .await
        .unwrap();
    let token = String::from_utf8_lossy(&token.stdout).trim().to_string();
    assert!(token.starts_with("vgl_"), "{token}");
    let listed = run(vec!["user", "list"]).await.unwrap();
    assert!(String::from_utf8_lossy(&listed.stdout).contains("analyst"));

    let addr = crate::support::free_address();
    let mut child = crate::support::spawn_serve(data.path(), &addr);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = format!("http://{addr}");
    let mut found = 0;
    for _ in 0..240 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let Ok(response) = client
            .get(format!("{base}/api/search?q=warrant"))
            .bearer_auth(&token)
            .send()
            .await
        else {
            continue;
        };
        if let Ok(value) = serde_json::from_str::<Value>(&response.text().await.unwrap_or_default())
        {
            found = value["total"].as_u64().unwrap_or(0);
            if found > 0 {
                break;
            }
        }
    }
    let healthz = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(healthz.status(), 200);
    let refused = client
        .get(format!("{base}/api/search?q=warrant"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let metrics = client
        .get(format!("{base}/metrics"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        found > 0,
        "the crawl in the serving process indexed the corpus"
    );
    let indexed: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("vigil_documents_indexed_total "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(indexed > 100, "{metrics}");
    let audit = run(vec!["audit", "--json"]).await.unwrap();
    let audit: Value = serde_json::from_slice(&audit.stdout).unwrap();
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"user add") && actions.contains(&"token create"),
        "{actions:?}"
    );
    drop(server);
}
