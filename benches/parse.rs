//! Documents per second parsed and normalised for each source kind, from fixtures in each
//! platform's real format (`tests/fixtures/`). Parsing runs on one
//! thread; fetching is not included. Run: `cargo bench --bench parse`
//! (`-- --count FILE…` prints the documents made of each feed file instead).

use std::path::Path;
use std::time::{Duration, Instant};
use vigil::config::{Config, SourceConfig};

fn fetched(body: Vec<u8>, content_type: &str, url: &str) -> vigil::model::Fetched {
    vigil::model::Fetched {
        source: "bench".into(),
        url: url::Url::parse(url).expect("url"),
        status: 200,
        not_modified: false,
        content_type: Some(content_type.into()),
        etag: None,
        last_modified: None,
        cache_control: None,
        expires: None,
        body: body.into(),
        fetched_at: chrono::Utc::now(),
        elapsed: Duration::ZERO,
        http: None,
    }
}

fn source(kind: &str, extra: &str) -> SourceConfig {
    let text = format!(
        "[crawl]\ncontact_url = \"https://vigil.example.org/c\"\n[[sources]]\nname = \"bench\"\nkind = \"{kind}\"\nurl = \"https://bench.example.org/x\"\n{extra}"
    );
    Config::parse(&text, Path::new("bench.toml"), Path::new("."))
        .expect("config")
        .sources
        .remove(0)
}

/// `-- --count FILE…`: for each feed file, the documents Vigil makes of it (items with a title
/// or text, after normalising), as `count<TAB>file` lines, or `error<TAB>file<TAB>message`; for
/// `scripts/feeds-vs-feedparser`.
fn count(files: &[String]) {
    let source = source("feed", "");
    for file in files {
        let body = std::fs::read(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let fetched = fetched(body, "application/xml", "https://news.example.org/feed");
        match vigil::parse::parse(&source, &fetched) {
            Ok(parsed) => {
                let documents = parsed
                    .items
                    .into_iter()
                    .filter_map(|item| {
                        vigil::normalise::normalise(item, "bench", "news", chrono::Utc::now())
                    })
                    .count();
                println!("{documents}\t{file}");
            }
            Err(error) => println!("error\t{file}\t{}", error.message),
        }
    }
}

fn main() {
    // Cargo passes `--bench` to a benchmark without a harness.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if let Some(at) = args.iter().position(|a| a == "--count") {
        count(&args[at + 1..]);
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("tests/fixtures/feeds");
    let read =
        |path: &Path| std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let post = {
        let text = String::from_utf8(read(
            &shared.join("bluesky/bsky_thread_view_post_with_embed_media.json"),
        ))
        .expect("utf-8");
        let mut post =
            serde_json::from_str::<serde_json::Value>(&text).expect("json")["thread"]["post"]
                .clone();
        post["record"]["text"] = serde_json::json!(
            "The court is a #puppet says @someone.bsky.social, read https://news.example.org/x"
        );
        post
    };
    let bluesky = serde_json::json!({ "posts": vec![post; 25] })
        .to_string()
        .into_bytes();
    let listing: String = (0..50).map(|i| format!("<div class=\"item\"><h3><a href=\"/n/{i}\">Release {i} on the court</a></h3><span class=\"d\">2026-01-05</span><p>Summary {i}</p></div>")).collect();
    let cases: Vec<(&str, SourceConfig, vigil::model::Fetched)> = vec![
        (
            "feed (RSS 2.0, Cloudflare blog)",
            source("feed", ""),
            fetched(
                read(&shared.join("feed-rs/rss_2.0_cloudflare.xml")),
                "application/rss+xml",
                "https://blog.example.org/rss",
            ),
        ),
        (
            "feed (RSS 2.0, demo outlet)",
            source("feed", ""),
            fetched(
                read(&root.join("demo/feeds/journal-de-la-haye.rss")),
                "application/rss+xml",
                "https://journal.example.org/rss",
            ),
        ),
        (
            "feed (Atom, Reddit MediaRSS)",
            source("feed", ""),
            fetched(
                read(&shared.join("feed-rs/atom_mediarss_reddit_1.xml")),
                "application/atom+xml",
                "https://www.reddit.com/r/x/.rss",
            ),
        ),
        (
            "youtube",
            source("youtube", ""),
            fetched(
                read(&shared.join("feed-rs/atom_mediarss_youtube_1.xml")),
                "application/atom+xml",
                "https://www.youtube.com/feeds/videos.xml",
            ),
        ),
        (
            "mastodon",
            source("mastodon", ""),
            fetched(
                read(&shared.join("mastodon/mastodon_timeline_public.json")),
                "application/json",
                "https://social.example.org/api/v1/timelines/public",
            ),
        ),
        (
            "bluesky",
            source("bluesky", ""),
            fetched(
                bluesky,
                "application/json",
                "https://public.api.bsky.app/xrpc/app.bsky.feed.searchPosts?q=icc",
            ),
        ),
        (
            "reddit",
            source("reddit", ""),
            fetched(
                read(&shared.join("reddit/reddit_listing_subreddit_new.json")),
                "application/json",
                "https://www.reddit.com/r/x/new.json",
            ),
        ),
        (
            "gdelt",
            source("gdelt", ""),
            fetched(
                read(&root.join("tests/fixtures/gdelt_artlist.json")),
                "application/json",
                "https://api.gdeltproject.org/api/v2/doc/doc?query=icc",
            ),
        ),
        (
            "telegram",
            source("telegram", ""),
            fetched(
                read(&root.join("tests/fixtures/telegram_channel_page.html")),
                "text/html; charset=utf-8",
                "https://t.me/s/haguewatch",
            ),
        ),
        (
            "html listing",
            source(
                "html",
                "[sources.selectors]\nitem = \"div.item\"\ntitle = \"h3\"\ndate = \".d\"\nsummary = \"p\"\n",
            ),
            fetched(
                format!("<html><body>{listing}</body></html>").into_bytes(),
                "text/html",
                "https://court.example.org/press",
            ),
        ),
    ];
    for (name, config, page) in cases {
        let (mut documents, mut rounds) = (0usize, 0usize);
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(700) {
            let parsed = vigil::parse::parse(&config, &page).expect("parse");
            documents += parsed
                .items
                .into_iter()
                .filter_map(|item| {
                    vigil::normalise::normalise(
                        item,
                        "bench",
                        config.kind.as_str(),
                        page.fetched_at,
                    )
                })
                .count();
            rounds += 1;
        }
        let rate = documents as f64 / started.elapsed().as_secs_f64();
        println!(
            "parse: {name:<34} {:>4} documents per response, {rate:>9.0} documents/s",
            documents / rounds.max(1)
        );
    }
}
