//! Test support: a fixture HTTP server on 127.0.0.1 that serves files, answers conditional
//! requests, records when each request arrived, and misbehaves on demand; plus helpers to write
//! a configuration and stored queries into a temporary folder.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Real feeds and API responses written by others (copied with their licences; see its README).
pub fn feed_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/feeds")
}

/// Our own fixtures.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A served file: content type, extra headers, body.
type Served = (String, Vec<(String, String)>, Vec<u8>);

#[derive(Clone, Default)]
struct ServerState {
    files: Arc<Mutex<HashMap<String, Served>>>,
    requests: Arc<Mutex<Vec<(String, Instant, HeaderMap)>>>,
}

/// A running fixture server; stops when dropped.
pub struct FixtureServer {
    pub base: String,
    state: ServerState,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl FixtureServer {
    pub async fn start() -> FixtureServer {
        FixtureServer::start_on([127, 0, 0, 1]).await
    }

    /// A server on another loopback address: another host as far as per-host budgets go.
    pub async fn start_on(ip: [u8; 4]) -> FixtureServer {
        let state = ServerState::default();
        let app =
            Router::new()
                .route("/f/{name}", get(serve_file))
                .route("/robots.txt", get(serve_robots))
                .route("/status/{code}", get(status))
                .route(
                    "/retry/{secs}",
                    get(
                        |State(state): State<ServerState>,
                         UrlPath(secs): UrlPath<u64>,
                         headers: HeaderMap| async move {
                            record(&state, format!("/retry/{secs}"), &headers);
                            (
                                StatusCode::SERVICE_UNAVAILABLE,
                                [("retry-after", secs.to_string())],
                            )
                        },
                    ),
                )
                .route("/stall", get(stall))
                .route("/endless", get(endless))
                .route(
                    "/redirect-loop",
                    get(|| async { (StatusCode::FOUND, [("location", "/redirect-loop")]) }),
                )
                .route(
                    "/chain/{n}",
                    get(|UrlPath(n): UrlPath<u32>| async move {
                        (
                            StatusCode::FOUND,
                            [("location", format!("/chain/{}", n + 1))],
                        )
                    }),
                )
                .route(
                    "/to",
                    get(
                        |axum::extract::Query(to): axum::extract::Query<
                            HashMap<String, String>,
                        >| async move {
                            (
                                StatusCode::FOUND,
                                [("location", to.get("url").cloned().unwrap_or_default())],
                            )
                        },
                    ),
                )
                .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from((ip, 0)))
            .await
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        FixtureServer {
            base,
            state,
            _stop: stop,
        }
    }

    /// Serves `body` at `/f/{name}`.
    pub fn put(&self, name: &str, content_type: &str, body: impl Into<Vec<u8>>) {
        self.put_with_headers(name, content_type, &[], body);
    }

    /// Serves `body` with extra response headers (Content-Encoding, Retry-After, …).
    pub fn put_with_headers(
        &self,
        name: &str,
        content_type: &str,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) {
        let headers = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.state.files.lock().unwrap().insert(
            name.to_string(),
            (content_type.to_string(), headers, body.into()),
        );
    }

    /// Stops serving `/f/{name}` (a page deleted by its publisher): 404 from now on.
    pub fn remove(&self, name: &str) {
        self.state.files.lock().unwrap().remove(name);
    }

    /// Serves a file from disk at `/f/{name}`.
    pub fn put_file(&self, name: &str, content_type: &str, path: &Path) {
        let body = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        self.put(name, content_type, body);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Arrival times of the requests whose path starts with `prefix`.
    pub fn request_times(&self, prefix: &str) -> Vec<Instant> {
        self.state
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _, _)| p.starts_with(prefix))
            .map(|(_, t, _)| *t)
            .collect()
    }

    /// Path and query of every request whose path starts with `prefix`, in arrival order.
    pub fn request_paths(&self, prefix: &str) -> Vec<String> {
        self.state
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _, _)| p.starts_with(prefix))
            .map(|(p, _, _)| p.clone())
            .collect()
    }

    /// Headers of every request to `path`.
    pub fn request_headers(&self, path: &str) -> Vec<HeaderMap> {
        self.state
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _, _)| p == path)
            .map(|(_, _, h)| h.clone())
            .collect()
    }
}

fn record(state: &ServerState, path: String, headers: &HeaderMap) {
    state
        .requests
        .lock()
        .unwrap()
        .push((path, Instant::now(), headers.clone()));
}

async fn serve_file(
    State(state): State<ServerState>,
    UrlPath(name): UrlPath<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    record(&state, format!("/f/{name}{query}"), &headers);
    // A body put under "name?query" answers that exact query; otherwise the one under "name".
    let files = state.files.lock().unwrap().clone();
    let Some((content_type, extra, body)) = files
        .get(&format!("{name}{query}"))
        .or_else(|| files.get(&name))
        .cloned()
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{:x}\"", xxhash_rust::xxh3::xxh3_64(&body));
    if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [("etag", etag)]).into_response();
    }
    let mut response = (
        StatusCode::OK,
        [("content-type", content_type), ("etag", etag)],
        body,
    )
        .into_response();
    for (name, value) in extra {
        let name = axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

/// `/robots.txt` serves the file put under the name "robots.txt", or 404.
async fn serve_robots(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    record(&state, "/robots.txt".into(), &headers);
    match state.files.lock().unwrap().get("robots.txt").cloned() {
        Some((_, _, body)) => {
            (StatusCode::OK, [("content-type", "text/plain")], body).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn status(
    State(state): State<ServerState>,
    UrlPath(code): UrlPath<u16>,
    headers: HeaderMap,
) -> Response {
    record(&state, format!("/status/{code}"), &headers);
    StatusCode::from_u16(code)
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        .into_response()
}

/// Sends headers, then one byte per second for ever.
async fn stall(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    record(&state, "/stall".into(), &headers);
    let stream = futures_util::stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        Some((Ok::<_, std::io::Error>(bytes::Bytes::from_static(b" ")), ()))
    });
    (
        StatusCode::OK,
        [("content-type", "application/rss+xml")],
        Body::from_stream(stream),
    )
        .into_response()
}

/// An endless body, as fast as the client reads.
async fn endless(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    record(&state, "/endless".into(), &headers);
    let chunk = bytes::Bytes::from(vec![b'<'; 64 * 1024]);
    let stream = futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
    (
        StatusCode::OK,
        [("content-type", "application/rss+xml")],
        Body::from_stream(stream),
    )
        .into_response()
}

/// A temporary deployment: a config file, a queries folder and a data folder.
pub struct Deployment {
    pub dir: tempfile::TempDir,
}

impl Deployment {
    /// Writes `vigil.toml` with the given `[crawl]` extras and sources (TOML text).
    pub fn new(crawl_extra: &str, sources: &str) -> Deployment {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("queries")).unwrap();
        let text = format!(
            "[crawl]\ncontact_url = \"https://vigil.example.org/contact\"\n{crawl_extra}\n{sources}"
        );
        std::fs::write(dir.path().join("vigil.toml"), text).unwrap();
        Deployment { dir }
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("vigil.toml")
    }

    pub fn config(&self) -> vigil::config::Config {
        vigil::config::Config::load(&self.config_path()).unwrap()
    }

    pub fn add_query(&self, id: &str, query: &str) {
        let text = format!(
            "id = \"{id}\"\ntitle = \"{id}\"\nquery = '''{query}'''\nseverity = \"watch\"\n"
        );
        std::fs::write(
            self.dir.path().join("queries").join(format!("{id}.toml")),
            text,
        )
        .unwrap();
    }
}

/// TOML for one feed source allowed to reach the fixture server.
pub fn source(name: &str, url: &str) -> String {
    format!(
        "[[sources]]\nname = \"{name}\"\nkind = \"feed\"\nurl = \"{url}\"\ninterval = \"10m\"\nallow_private = true\n\n"
    )
}

/// Opens the deployment's pipeline and runs one pass over all its sources.
pub async fn crawl_all(
    deployment: &Deployment,
) -> (vigil::pipeline::Pipeline, vigil::pipeline::CrawlReport) {
    let config = deployment.config();
    let pipeline = vigil::pipeline::Pipeline::open(config.clone()).unwrap();
    let report = pipeline.crawl(&config.sources, None).await.unwrap();
    (pipeline, report)
}

/// The newest hits of a query, after making the last commit visible.
pub fn search(
    pipeline: &vigil::pipeline::Pipeline,
    query: &str,
    limit: usize,
) -> Vec<vigil::index::reader::Hit> {
    let read = pipeline.read_side();
    read.reader.reload().unwrap();
    let query = vigil::query::compile(read.reader.index(), query).unwrap();
    let filter = vigil::index::reader::SearchFilter {
        limit,
        ..vigil::index::reader::SearchFilter::default()
    };
    read.reader.search(&*query, &filter).unwrap().hits
}

/// The demo corpus served on 127.0.0.1, and its configuration with the index in `data_dir`.
pub async fn demo_corpus(data_dir: &Path) -> (vigil::demo::DemoServer, vigil::config::Config) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let server = vigil::demo::serve_corpus(&root.join("demo")).await.unwrap();
    let config = vigil::demo::load_config(
        &root.join("demo"),
        &server.base_url,
        data_dir,
        &root.join("queries"),
    )
    .unwrap();
    (server, config)
}

/// Writes `dir/vigil.toml`: the demo configuration for the server at `base_url`, its index in
/// `data_dir`, for running the binary against it. Returns the file's path.
pub fn write_demo_config(dir: &Path, data_dir: &Path, base_url: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let demo = std::fs::read_to_string(root.join("demo/vigil.toml")).unwrap();
    let path = dir.join("vigil.toml");
    std::fs::write(
        &path,
        format!(
            "data_dir = {:?}\nqueries_dir = {:?}\n{}",
            data_dir,
            root.join("queries"),
            demo.replace("{demo}", base_url)
        ),
    )
    .unwrap();
    path
}

/// Runs the `vigil` binary in `dir` with `args`, logs off; its output.
pub fn vigil(args: &[&str], dir: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "off")
        .output()
        .unwrap()
}

/// An address on 127.0.0.1 with a port free a moment ago, for a server the test starts.
pub fn free_address() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

/// Starts `vigil serve --addr addr` in `dir`, its output discarded.
pub fn spawn_serve(dir: &Path, addr: &str) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["serve", "--addr", addr])
        .current_dir(dir)
        .env("RUST_LOG", "off")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// The Python of the virtualenv `scripts/test` makes (warcio, stix2-validator): the
/// `VIGIL_TEST_PYTHON` it exports, else `$CARGO_TARGET_DIR/pyenv` or `target/pyenv`.
pub fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("VIGIL_TEST_PYTHON") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let python = target.join("pyenv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run the tests with scripts/test, which makes the virtualenv with warcio and stix2-validator",
        python.display()
    );
    python
}

/// Runs a Python script (with arguments) under `python()`; its standard output then its standard
/// error, or a panic with both when it fails.
pub fn run_python(script: &str, args: &[&str]) -> String {
    let output = std::process::Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "python failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout + &String::from_utf8_lossy(&output.stderr)
}

/// A request to the app with an API token (`Bearer`), a form body with an empty CSRF token
/// (token requests carry none); the status, headers and body.
pub async fn request(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: &str,
) -> (
    axum::http::StatusCode,
    axum::http::HeaderMap,
    axum::body::Bytes,
) {
    use tower::ServiceExt;
    let request = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from("csrf="))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), 64 << 20)
        .await
        .unwrap();
    (status, headers, body)
}

/// The web app over a deployment's data, with one API token per (user, role) given, in order.
pub fn app_with_users(
    config: &vigil::config::Config,
    users: &[(&str, vigil::auth::Role)],
) -> (
    axum::Router,
    std::sync::Arc<vigil::store::Store>,
    Vec<String>,
) {
    let read = vigil::readside::ReadSide::open(config).unwrap();
    let store = std::sync::Arc::new(vigil::store::Store::open(&config.state_path()).unwrap());
    let mut tokens = Vec::new();
    for (name, role) in users {
        vigil::auth::add_user(&store, name, *role, "a long enough password").unwrap();
        tokens.push(vigil::auth::create_api_token(&store, name, "test", None).unwrap());
    }
    let app = vigil::web::app(vigil::web::AppState::new(
        read,
        store.clone(),
        config.clone(),
    ));
    (app, store, tokens)
}
