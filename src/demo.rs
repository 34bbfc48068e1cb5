//! The bundled demo: serves the corpus in `demo/feeds/` on 127.0.0.1 (a free port) with every
//! date shifted so the newest item is a few minutes old, and loads `demo/vigil.toml` with its
//! `{demo}` placeholder pointing at that server. The crawl itself goes through the real
//! pipeline: HTTP, per-host rate limit, feed parsing, index, stored queries.

use crate::config::{Config, ConfigError};
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// How old the newest demo item is when the demo starts.
const NEWEST_ITEM_AGE_MINUTES: i64 = 20;

/// A running demo corpus server; stops when dropped.
pub struct DemoServer {
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    /// Feed files served.
    pub files: usize,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

#[derive(Clone)]
struct Corpus {
    files: Arc<HashMap<String, (&'static str, Vec<u8>)>>,
    /// In a replay, the simulated clock (Unix seconds): items published after it are not
    /// served yet.
    until: Option<Arc<AtomicI64>>,
}

/// The simulated clock of a replayed corpus: feeds hold only the items published by it.
#[derive(Clone)]
pub struct ReplayClock {
    until: Arc<AtomicI64>,
    /// The newest item of the corpus, after the shift to the present.
    pub newest: DateTime<Utc>,
    /// The oldest.
    pub oldest: DateTime<Utc>,
}

impl ReplayClock {
    /// Moves the clock: from now on the feeds hold the items published by `now`.
    pub fn set(&self, now: DateTime<Utc>) {
        self.until.store(now.timestamp(), Ordering::SeqCst);
    }
}

/// Starts serving `corpus_dir/feeds/*` on 127.0.0.1 with dates shifted to the present.
pub async fn serve_corpus(corpus_dir: &Path) -> std::io::Result<DemoServer> {
    Ok(serve(corpus_dir, None).await?.0)
}

/// Serves a corpus for an hour-by-hour replay: like `serve_corpus`, but each feed holds only
/// the items published by the clock, which starts before the oldest item.
pub async fn serve_corpus_replay(corpus_dir: &Path) -> std::io::Result<(DemoServer, ReplayClock)> {
    let until = Arc::new(AtomicI64::new(i64::MIN));
    let (server, oldest, newest) = serve(corpus_dir, Some(until.clone())).await?;
    Ok((
        server,
        ReplayClock {
            until,
            newest,
            oldest,
        },
    ))
}

/// How far a replayed corpus's dates move so that its newest item is in the last week before
/// `now` (less `NEWEST_ITEM_AGE_MINUTES`): by whole weeks, back, so that no item is in the
/// future and its hours, days and weekdays are the corpus's own. Every run crawls the same
/// items at the same simulated hour, and days and the weekly baseline cut the stream at the
/// same places whenever the run starts (moved by whole hours, two runs an hour apart would cut
/// the days an hour apart).
fn replay_shift(now: DateTime<Utc>, newest: DateTime<Utc>) -> chrono::Duration {
    const WEEK: i64 = 7 * 24 * 3600;
    let wanted = now - chrono::Duration::minutes(NEWEST_ITEM_AGE_MINUTES) - newest;
    chrono::Duration::seconds(wanted.num_seconds().div_euclid(WEEK) * WEEK)
}

async fn serve(
    corpus_dir: &Path,
    until: Option<Arc<AtomicI64>>,
) -> std::io::Result<(DemoServer, DateTime<Utc>, DateTime<Utc>)> {
    let feeds_dir = corpus_dir.join("feeds");
    let mut texts = Vec::new();
    for entry in std::fs::read_dir(&feeds_dir)? {
        let path = entry?.path();
        if !path.is_file() {
            continue;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        texts.push((name, std::fs::read_to_string(&path)?));
    }
    let newest = texts
        .iter()
        .filter_map(|(_, text)| latest_date(text))
        .max()
        .unwrap_or_else(Utc::now);
    let shift = if until.is_some() {
        replay_shift(Utc::now(), newest)
    } else {
        Utc::now() - chrono::Duration::minutes(NEWEST_ITEM_AGE_MINUTES) - newest
    };
    let files: HashMap<String, (&'static str, Vec<u8>)> = texts
        .into_iter()
        .map(|(name, text)| {
            let content_type = content_type_for(&name);
            (name, (content_type, shift_dates(&text, shift).into_bytes()))
        })
        .collect();
    let count = files.len();
    let oldest = files
        .values()
        .filter_map(|(_, body)| earliest_date(&String::from_utf8_lossy(body)))
        .min()
        .unwrap_or_else(Utc::now);
    let app = Router::new()
        .route("/feeds/{name}", get(serve_file))
        .with_state(Corpus {
            files: Arc::new(files),
            until,
        });
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let address = listener.local_addr()?;
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Ok((
        DemoServer {
            base_url: format!("http://{address}"),
            files: count,
            _shutdown: shutdown,
        },
        oldest,
        newest + shift,
    ))
}

async fn serve_file(
    State(corpus): State<Corpus>,
    UrlPath(name): UrlPath<String>,
) -> impl IntoResponse {
    match corpus.files.get(&name) {
        Some((content_type, body)) => {
            let body = match &corpus.until {
                Some(until) => {
                    let until = DateTime::from_timestamp(until.load(Ordering::SeqCst), 0)
                        .unwrap_or(DateTime::<Utc>::MIN_UTC);
                    items_until(&String::from_utf8_lossy(body), until).into_bytes()
                }
                None => body.clone(),
            };
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, *content_type)],
                body,
            )
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn content_type_for(name: &str) -> &'static str {
    if name.ends_with(".json") {
        "application/feed+json"
    } else if name.ends_with(".atom") {
        "application/atom+xml; charset=utf-8"
    } else {
        "application/rss+xml; charset=utf-8"
    }
}

/// Loads `corpus_dir/vigil.toml` with `{demo}` replaced by the server's base URL; the index goes
/// to `data_dir` and stored queries come from `queries_dir`.
pub fn load_config(
    corpus_dir: &Path,
    base_url: &str,
    data_dir: &Path,
    queries_dir: &Path,
) -> Result<Config, ConfigError> {
    let path = corpus_dir.join("vigil.toml");
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })?;
    let mut config = Config::parse(&text.replace("{demo}", base_url), &path, corpus_dir)?;
    config.data_dir = data_dir.to_path_buf();
    config.queries_dir = queries_dir.to_path_buf();
    Ok(config)
}

/// Finds a folder shipped with Vigil: relative to the working directory first, then to the
/// source tree the binary was built from.
pub fn locate(name: &str) -> Option<PathBuf> {
    let here = PathBuf::from(name);
    if here.is_dir() {
        return Some(here);
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    built.is_dir().then_some(built)
}

/// The date-bearing elements and keys of RSS, Atom and JSON Feed, with their format.
const DATE_MARKERS: &[(&str, &str, DateStyle)] = &[
    ("<pubDate>", "</pubDate>", DateStyle::Rfc2822),
    ("<lastBuildDate>", "</lastBuildDate>", DateStyle::Rfc2822),
    ("<published>", "</published>", DateStyle::Rfc3339),
    ("<updated>", "</updated>", DateStyle::Rfc3339),
    ("<dc:date>", "</dc:date>", DateStyle::Rfc3339),
    ("\"date_published\": \"", "\"", DateStyle::Rfc3339),
    ("\"date_modified\": \"", "\"", DateStyle::Rfc3339),
    // Mastodon statuses (the scenario corpus's social timeline).
    ("\"created_at\": \"", "\"", DateStyle::Rfc3339),
];

#[derive(Clone, Copy)]
enum DateStyle {
    Rfc2822,
    Rfc3339,
}

fn parse_date(text: &str, style: DateStyle) -> Option<DateTime<Utc>> {
    let parsed = match style {
        DateStyle::Rfc2822 => DateTime::parse_from_rfc2822(text.trim()),
        DateStyle::Rfc3339 => DateTime::parse_from_rfc3339(text.trim()),
    };
    parsed.ok().map(|d| d.with_timezone(&Utc))
}

fn format_date(date: DateTime<Utc>, style: DateStyle) -> String {
    match style {
        DateStyle::Rfc2822 => date.to_rfc2822(),
        DateStyle::Rfc3339 => date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

/// Calls `visit` with the byte range and value of every date in a feed text.
fn visit_dates(
    text: &str,
    mut visit: impl FnMut(std::ops::Range<usize>, DateTime<Utc>, DateStyle),
) {
    for (open, close, style) in DATE_MARKERS {
        let mut from = 0;
        while let Some(found) = text[from..].find(open) {
            let start = from + found + open.len();
            let Some(length) = text[start..].find(close) else {
                break;
            };
            let end = start + length;
            if let Some(date) = parse_date(&text[start..end], *style) {
                visit(start..end, date, *style);
            }
            from = end;
        }
    }
}

/// The newest date in a feed text.
pub fn latest_date(text: &str) -> Option<DateTime<Utc>> {
    let mut latest = None;
    visit_dates(text, |_, date, _| latest = latest.max(Some(date)));
    latest
}

/// The oldest date in a feed text.
fn earliest_date(text: &str) -> Option<DateTime<Utc>> {
    let mut earliest: Option<DateTime<Utc>> = None;
    visit_dates(text, |_, date, _| {
        earliest = Some(earliest.map_or(date, |e| e.min(date)))
    });
    earliest
}

/// The feed with only the items (RSS items, Atom entries, JSON Feed items, Mastodon statuses)
/// whose oldest date is not after `until`: the feed as it read at that time.
pub fn items_until(text: &str, until: DateTime<Utc>) -> String {
    let published_by = |item: &str| earliest_date(item).is_none_or(|d| d <= until);
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        let Ok(mut value) = serde_json::from_str::<serde_json::Value>(text) else {
            return text.to_string();
        };
        let keep = |items: &mut Vec<serde_json::Value>| {
            items.retain(|item| {
                serde_json::to_string_pretty(item).is_ok_and(|item| published_by(&item))
            })
        };
        match &mut value {
            serde_json::Value::Array(items) => keep(items),
            serde_json::Value::Object(feed) => {
                if let Some(serde_json::Value::Array(items)) = feed.get_mut("items") {
                    keep(items)
                }
            }
            _ => {}
        }
        return serde_json::to_string_pretty(&value).unwrap_or_else(|_| text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next = [("<item>", "</item>"), ("<entry>", "</entry>")]
            .iter()
            .filter_map(|(open, close)| rest.find(open).map(|at| (at, *close)))
            .min_by_key(|(at, _)| *at);
        let Some((start, close)) = next else { break };
        let Some(length) = rest[start..].find(close) else {
            break;
        };
        let end = start + length + close.len();
        out.push_str(&rest[..start]);
        if published_by(&rest[start..end]) {
            out.push_str(&rest[start..end]);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The feed text with every date moved by `shift`, each kept in its own format.
pub fn shift_dates(text: &str, shift: chrono::Duration) -> String {
    let mut edits = Vec::new();
    visit_dates(text, |range, date, style| {
        edits.push((range, format_date(date + shift, style)))
    });
    edits.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, replacement) in edits {
        if range.start < at {
            continue;
        }
        out.push_str(&text[at..range.start]);
        out.push_str(&replacement);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replayed_feed_holds_the_items_published_by_the_clock() {
        let until = DateTime::parse_from_rfc3339("2026-01-05T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let rss = "<rss><channel><title>t</title>\
            <item><title>old</title><pubDate>Mon, 5 Jan 2026 10:00:00 +0000</pubDate></item>\
            <item><title>new</title><pubDate>Mon, 5 Jan 2026 13:00:00 +0000</pubDate></item>\
            </channel></rss>";
        let cut = items_until(rss, until);
        assert!(cut.contains("old") && !cut.contains("new"), "{cut}");
        assert!(cut.ends_with("</channel></rss>"), "{cut}");
        let atom = "<feed><entry><published>2026-01-05T13:00:00Z</published></entry>\
            <entry><published>2026-01-05T11:00:00Z</published><updated>2026-01-06T00:00:00Z</updated></entry></feed>";
        let cut = items_until(atom, until);
        assert_eq!(cut.matches("<entry>").count(), 1, "{cut}");
        assert!(cut.contains("11:00:00Z"), "{cut}");
        let mastodon = r#"[{"id": "2", "created_at": "2026-01-05T12:30:00.000Z"},
            {"id": "1", "created_at": "2026-01-05T11:59:00.000Z"}]"#;
        let cut: serde_json::Value = serde_json::from_str(&items_until(mastodon, until)).unwrap();
        assert_eq!(cut.as_array().map(Vec::len), Some(1));
        assert_eq!(cut[0]["id"], "1");
        let feed = r#"{"version": "https://jsonfeed.org/version/1.1", "items": [
            {"id": "a", "date_published": "2026-01-05T13:00:00Z"}]}"#;
        let cut: serde_json::Value = serde_json::from_str(&items_until(feed, until)).unwrap();
        assert_eq!(cut["items"].as_array().map(Vec::len), Some(0));
    }

    #[test]
    fn a_replay_moves_by_whole_weeks_back_to_the_last_week() {
        let at = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc)
        };
        let now = at("2026-12-05T03:17:42Z");
        // (newest item, weeks moved)
        for (newest, weeks) in [
            ("2026-12-04T23:00:00Z", 0),
            ("2026-12-05T03:00:00Z", -1),
            ("2026-11-28T03:00:00Z", 0),
            ("2026-11-28T02:57:00Z", 1),
            ("2026-01-10T12:00:00Z", 46),
            ("2027-02-01T00:00:00Z", -9),
        ] {
            let newest = at(newest);
            let shift = replay_shift(now, newest);
            assert_eq!(shift, chrono::Duration::weeks(weeks), "{newest}");
            let moved = newest + shift;
            let latest = now - chrono::Duration::minutes(NEWEST_ITEM_AGE_MINUTES);
            assert!(moved <= latest && moved > latest - chrono::Duration::weeks(1));
        }
    }

    #[test]
    fn shifts_every_date_format() {
        let text = "<item><pubDate>Mon, 05 Jan 2026 10:00:00 +0000</pubDate></item>\
                    <entry><updated>2026-01-05T10:00:00Z</updated></entry>\
                    {\"date_published\": \"2026-01-04T10:00:00Z\"}";
        assert_eq!(
            latest_date(text).unwrap().to_rfc3339(),
            "2026-01-05T10:00:00+00:00"
        );
        let shifted = shift_dates(text, chrono::Duration::days(1));
        assert!(
            shifted.contains("<pubDate>Tue, 6 Jan 2026 10:00:00 +0000</pubDate>"),
            "{shifted}"
        );
        assert!(
            shifted.contains("<updated>2026-01-06T10:00:00Z</updated>"),
            "{shifted}"
        );
        assert!(
            shifted.contains("\"date_published\": \"2026-01-05T10:00:00Z\""),
            "{shifted}"
        );
    }
}
