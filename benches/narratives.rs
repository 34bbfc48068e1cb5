//! Narrative quality on the twelve corpora (demo, scenario, multilingual, heldout, heldout2, heldout3, heldout4, heldout5, heldout6, heldout7, heldout8, heldout9), against the ground
//! truth each generator wrote before Vigil read its corpus (`<corpus>/truth.json`), replayed
//! hour by hour through the product itself:
//! - the corpus is served on 127.0.0.1 with a simulated clock; at each hour the clock moves on,
//!   the feeds show the items published by then, Vigil crawls them (fetch, parse, dedup, index,
//!   stored queries, clustering) and runs its urgent-alert check with that hour as `now`
//!   (`alert::tick_alerts`, the per-minute check of `vigil run`);
//! - per seeded narrative: when it became visible (4 documents from 3 sources or accounts, from
//!   the truth file), when its first urgent alert went out (an alert whose narrative's documents
//!   are mostly that narrative's at that hour), the hours from visible to alerted and from its
//!   first document to alerted;
//! - false alarms: urgent alerts whose narrative is mostly ordinary coverage, per day;
//! - clustering quality at the end: BCubed and pairwise precision, recall and F1 of the story
//!   clusters of the matched documents against the true story of each, and how many
//!   multilingual narratives ended as one narrative (most of their documents, in every one of
//!   their languages, in one cluster);
//! - the cost: the whole replay, and assembling the narratives at the end.
//!
//! Run: `cargo bench --bench narratives` (one corpus: `-- multilingual`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::time::Instant;
use vigil::pipeline::Pipeline;

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    for corpus in [
        "demo",
        "scenario",
        "multilingual",
        "heldout",
        "heldout2",
        "heldout3",
        "heldout4",
        "heldout5",
        "heldout6",
        "heldout7",
        "heldout8",
        "heldout9",
    ] {
        if only.is_empty() || only.iter().any(|o| o == corpus) {
            runtime.block_on(evaluate(corpus));
        }
    }
}

fn hours_before(
    newest: chrono::DateTime<chrono::Utc>,
    hours: f64,
) -> chrono::DateTime<chrono::Utc> {
    newest - chrono::Duration::seconds((hours * 3600.0) as i64)
}

/// The story most of a narrative's documents belong to, and its share of them.
fn majority(ids: &[String], truth_of: &HashMap<String, String>) -> Option<(String, f64)> {
    let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
    for id in ids {
        if let Some(story) = truth_of.get(id) {
            *votes.entry(story).or_default() += 1;
        }
    }
    let total: usize = votes.values().sum();
    votes
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(s, n)| (s.to_string(), n as f64 / total.max(1) as f64))
}

async fn evaluate(corpus: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join(corpus);
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("truth.json")).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let stories: HashMap<String, String> = truth["documents"]
        .as_object()
        .map(|m| {
            m.iter()
                // As Vigil writes addresses: non-ASCII paths percent-encoded.
                .map(|(k, v)| {
                    let url = url::Url::parse(k).map_or_else(|_| k.clone(), |u| u.to_string());
                    (url, v.as_str().unwrap_or_default().to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    let seeded: Vec<String> = truth["seeded"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (server, clock) = vigil::demo::serve_corpus_replay(&dir)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let newest = clock.newest;

    // The shipped queries, with the corpus's expected events as the calendar.
    let queries = data.path().join("queries");
    copy_dir(&root.join("queries"), &queries);
    let mut calendar = String::new();
    for e in truth["expected_events"].as_array().into_iter().flatten() {
        let at = |key: &str| {
            hours_before(newest, e[key].as_f64().unwrap_or(0.0))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        calendar.push_str(&format!(
            "[[event]]\nname = {:?}\nkind = {:?}\nstart = {}\nend = {}\n\n",
            e["name"].as_str().unwrap_or_default(),
            // Kinds Vigil's calendar knows; anything else (a session) is "other".
            match e["kind"].as_str() {
                Some(k @ ("hearing" | "warrant" | "arrest" | "judgment")) => k,
                _ => "other",
            },
            at("start_hours_before_newest"),
            at("end_hours_before_newest"),
        ));
    }
    std::fs::write(queries.join("calendar.toml"), calendar).unwrap_or_else(|e| panic!("{e}"));
    let mut config = vigil::demo::load_config(&dir, &server.base_url, data.path(), &queries)
        .unwrap_or_else(|e| panic!("{e}"));
    // One host serves every feed: no politeness delay between simulated hours.
    config.crawl.rate_per_host = 10_000.0;
    config.alerting.alerts = Some(vigil::config::alerting::Alerts {
        channels: Vec::new(),
        recipients: Vec::new(),
        cooldown: std::time::Duration::from_secs(6 * 3600),
        min_severity: vigil::types::Severity::Info,
    });
    let mut pipeline = Some(Pipeline::open(config.clone()).unwrap_or_else(|e| panic!("{e}")));
    // VIGIL_BENCH_RESTART=1: a new process every hour, as when a scheduler runs `vigil crawl`
    // (the clusterer starts from what the state database kept).
    let restart = std::env::var_os("VIGIL_BENCH_RESTART").is_some();

    // The replay: an hour at a time, from the hour of the oldest item to just past the newest.
    let started = Instant::now();
    let mut hour = clock.oldest - chrono::Duration::seconds(clock.oldest.timestamp() % 3600);
    let mut hours = 0;
    let mut documents = 0;
    let mut alert_secs = 0.0;
    let mut crawl_errors = 0usize;
    // Each urgent alert: the hour, its narrative, that narrative's documents at that hour.
    let mut alerts: Vec<(chrono::DateTime<chrono::Utc>, String, Vec<String>)> = Vec::new();
    while hour <= newest + chrono::Duration::hours(1) {
        clock.set(hour);
        if restart && hours > 0 {
            // (The old one holds the index's writer lock: closed first.)
            drop(pipeline.take());
            pipeline = Some(Pipeline::open(config.clone()).unwrap_or_else(|e| panic!("{e}")));
        }
        let Some(pipeline) = pipeline.as_ref() else {
            break;
        };
        let read = pipeline.read_side();
        // One source at a time, in the configuration's order: each hour's documents reach the
        // clusterer in the same order on every run, so the replay is exact (a crawl of all
        // sources at once hands them over in whichever order the fetches finish).
        for source in &config.sources {
            let report = pipeline
                .crawl(std::slice::from_ref(source), None)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            documents += report.new_documents;
            // A failed crawl delays that hour's documents: a replay that lost one says so.
            for failed in report.failed() {
                crawl_errors += 1;
                eprintln!(
                    "crawl error at {}: {} {:?}",
                    hour.format("%d %H:%M"),
                    failed.name,
                    failed.error
                );
            }
        }
        let checked = Instant::now();
        let keys = vigil::alert::tick_alerts(read, pipeline.store(), &config, hour)
            .unwrap_or_else(|e| panic!("{e}"));
        alert_secs += checked.elapsed().as_secs_f64();
        if std::env::var_os("VIGIL_BENCH_TRACE").is_some() {
            // Each narrative holding a seeded document: its state at this hour.
            for n in read
                .narratives(hour - chrono::Duration::days(30), hour)
                .unwrap_or_default()
            {
                let members = read.store.cluster_members(&n.id).unwrap_or_default();
                let urls: Vec<String> = read
                    .reader
                    .docs_by_id(&members.into_iter().map(|(id, _)| id).collect::<Vec<_>>())
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|d| stories.get(&d.url).cloned())
                    .filter(|s| seeded.contains(s))
                    .collect();
                if let Some(story) = urls.first() {
                    eprintln!(
                        "trace {} {story} {} docs={} sev={:?} urgent={} visible={:?} queries={:?}",
                        hour.format("%d %H:%M"),
                        n.id,
                        n.documents,
                        n.severity,
                        n.urgent,
                        n.visible.map(|v| v.describe()),
                        n.queries
                    );
                }
            }
        }
        for key in keys {
            let Some(id) = key
                .strip_prefix("alert-")
                .and_then(|k| k.strip_suffix("-1"))
            else {
                continue;
            };
            let members = read.store.cluster_members(id).unwrap_or_default();
            alerts.push((
                hour,
                id.to_string(),
                members.into_iter().map(|(id, _)| id).collect(),
            ));
        }
        hour += chrono::Duration::hours(1);
        hours += 1;
    }
    let replay_secs = started.elapsed().as_secs_f64();
    let Some(pipeline) = pipeline else {
        return;
    };
    let read = pipeline.read_side();

    // Every cluster with its documents, and each document's true story.
    let rows = read
        .store
        .clusters_since(newest - chrono::Duration::days(365))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut predicted: HashMap<String, String> = HashMap::new();
    let mut truth_of: HashMap<String, String> = HashMap::new();
    let mut lang_of: HashMap<String, String> = HashMap::new();
    let mut first_of: HashMap<String, chrono::DateTime<chrono::Utc>> = HashMap::new();
    // Each true story's documents as (time, voice), to tell when it became visible.
    let mut voices_of: HashMap<String, Vec<(chrono::DateTime<chrono::Utc>, String)>> =
        HashMap::new();
    for row in &rows {
        let members = read.store.cluster_members(&row.id).unwrap_or_default();
        let ids: Vec<String> = members.iter().map(|(id, _)| id.clone()).collect();
        for doc in read.reader.docs_by_id(&ids).unwrap_or_default() {
            predicted.insert(doc.id.clone(), row.id.clone());
            lang_of.insert(doc.id.clone(), doc.lang.clone());
            if let Some(story) = stories.get(&doc.url) {
                truth_of.insert(doc.id.clone(), story.clone());
                let first = first_of.entry(story.clone()).or_insert(doc.published);
                *first = (*first).min(doc.published);
                voices_of.entry(story.clone()).or_default().push((
                    doc.published,
                    vigil::detect::evidence::account(&doc.kind, &doc.author, &doc.source),
                ));
            }
        }
    }
    if let Some(dir) = std::env::var_os("VIGIL_BENCH_DUMP") {
        // Every clustered document as `id, cluster, true story, language, published, voice`
        // (tab-separated), for analysis outside the benchmark.
        let ids: Vec<String> = predicted.keys().cloned().collect();
        let mut lines = String::new();
        for doc in read.reader.docs_by_id(&ids).unwrap_or_default() {
            lines.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                doc.id,
                predicted.get(&doc.id).map_or("-", String::as_str),
                truth_of.get(&doc.id).map_or("-", String::as_str),
                doc.lang,
                doc.published.to_rfc3339(),
                vigil::detect::evidence::account(&doc.kind, &doc.author, &doc.source),
                doc.title.replace(['\t', '\n'], " ")
            ));
        }
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(Path::new(&dir).join(format!("{corpus}.tsv")), lines)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let bcubed = vigil::detect::quality::bcubed(&predicted, &truth_of);
    // Background is not a story: chatter (accounts repeating complaints, each in its own
    // words, in several languages) and filler are labelled to test fairness, and clustering
    // them into one would tell a reader nothing. Scored apart, as topic detection evaluations
    // leave off-topic documents out.
    let stories_only: HashMap<String, String> = truth_of
        .iter()
        .filter(|(_, s)| *s != "chatter" && !s.starts_with("filler"))
        .map(|(d, s)| (d.clone(), s.clone()))
        .collect();
    let bcubed_stories = vigil::detect::quality::bcubed(&predicted, &stories_only);
    let pairwise = vigil::detect::quality::pairwise(&predicted, &truth_of);

    println!(
        "\n### {corpus}: {documents} documents indexed, {} matched and clustered into {} clusters; {hours} hourly crawls and alert checks in {replay_secs:.1} s (alert checks {alert_secs:.1} s); failed source crawls: {crawl_errors}\n",
        predicted.len(),
        rows.len()
    );
    println!(
        "| seeded narrative | documents | first document | visible | urgent alert | visible → alert (h) | first → alert (h) | alerted narrative's first seen |"
    );
    println!("|---|---:|---|---|---|---:|---:|---|");
    let at_alert = |ids: &[String]| majority(ids, &truth_of);
    let when = |t: chrono::DateTime<chrono::Utc>| {
        format!("−{:.0} h", (newest - t).num_minutes() as f64 / 60.0)
    };
    for narrative in &seeded {
        let docs = truth_of.values().filter(|s| *s == narrative).count();
        let first = first_of.get(narrative).copied();
        // Visible: its fourth document with three voices among them (of those Vigil indexed).
        let visible = voices_of.get(narrative).and_then(|docs| {
            let mut docs = docs.clone();
            docs.sort();
            let mut voices = BTreeSet::new();
            docs.iter().enumerate().find_map(|(k, (t, v))| {
                voices.insert(v.clone());
                (k + 1 >= 4 && voices.len() >= 3).then_some(*t)
            })
        });
        let alert = alerts
            .iter()
            .find(|(_, _, ids)| at_alert(ids).is_some_and(|(s, _)| s == *narrative));
        let alerted = alert.map(|(t, _, _)| *t);
        // The alerted narrative's first seen against the story's own first document: earlier
        // is an older story it was glued to, later a first document it did not take in.
        let first_seen = alert
            .and_then(|(_, id, _)| rows.iter().find(|r| r.id == *id))
            .map(|r| r.first_seen);
        let first_seen = match (first_seen, first) {
            (Some(seen), Some(first)) if (seen - first).num_minutes().abs() < 1 => {
                format!("{} (its first document)", when(seen))
            }
            (Some(seen), Some(first)) => format!(
                "{} ({:+.1} h from its first document)",
                when(seen),
                (seen - first).num_minutes() as f64 / 60.0
            ),
            _ => "—".into(),
        };
        let gap = |from: Option<chrono::DateTime<chrono::Utc>>| match (from, alerted) {
            (Some(from), Some(at)) => format!("{:.1}", (at - from).num_minutes() as f64 / 60.0),
            _ => "—".to_string(),
        };
        println!(
            "| {narrative} | {docs} | {} | {} | {} | {} | {} | {first_seen} |",
            first.map(when).unwrap_or_default(),
            visible.map(when).unwrap_or_else(|| "—".into()),
            alerted.map(when).unwrap_or_else(|| "never".into()),
            gap(visible),
            gap(first)
        );
    }
    let oldest = first_of.values().min().copied().unwrap_or(newest);
    let days = ((newest - oldest).num_hours() as f64 / 24.0).max(1.0);
    let false_alarms: Vec<(chrono::DateTime<chrono::Utc>, String, String)> = alerts
        .iter()
        .filter_map(|(t, id, ids)| {
            let (story, _) = at_alert(ids)?;
            (!seeded.contains(&story)).then(|| (*t, id.clone(), story))
        })
        .collect();
    println!(
        "\nurgent alerts: {} in all; false alarms (narrative mostly ordinary coverage): {} over {days:.0} days = {:.2} per day = {:.1} per week{}",
        alerts.len(),
        false_alarms.len(),
        false_alarms.len() as f64 / days,
        false_alarms.len() as f64 / days * 7.0,
        if false_alarms.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                false_alarms
                    .iter()
                    .map(|(t, id, s)| format!("{id} {s} at {}", when(*t)))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        }
    );
    println!(
        "clustering vs ground truth ({} documents): BCubed P {:.2} R {:.2} F1 {:.2}; pairwise P {:.2} R {:.2} F1 {:.2}",
        truth_of.len(),
        bcubed.precision,
        bcubed.recall,
        bcubed.f1,
        pairwise.precision,
        pairwise.recall,
        pairwise.f1
    );
    println!(
        "stories only ({} documents, background chatter left out): BCubed P {:.2} R {:.2} F1 {:.2}",
        stories_only.len(),
        bcubed_stories.precision,
        bcubed_stories.recall,
        bcubed_stories.f1
    );
    // Multilingual narratives: one cluster holds most of their documents, in every language.
    let multilingual: Vec<&String> = seeded
        .iter()
        .filter(|s| {
            let langs: BTreeSet<&str> = truth_of
                .iter()
                .filter(|(_, t)| t == s)
                .filter_map(|(id, _)| lang_of.get(id).map(String::as_str))
                .collect();
            langs.len() > 1
        })
        .collect();
    let mut merged = 0;
    let mut notes = Vec::new();
    for story in &multilingual {
        let mine: Vec<&String> = truth_of
            .iter()
            .filter(|(_, s)| s == story)
            .map(|(id, _)| id)
            .collect();
        let langs: BTreeSet<&str> = mine
            .iter()
            .filter_map(|id| lang_of.get(*id).map(String::as_str))
            .collect();
        let mut by_cluster: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
        for id in &mine {
            if let Some(c) = predicted.get(*id) {
                by_cluster.entry(c).or_default().push(id);
            }
        }
        let Some((_, biggest)) = by_cluster.iter().max_by_key(|(_, ids)| ids.len()) else {
            continue;
        };
        let its_langs: BTreeSet<&str> = biggest
            .iter()
            .filter_map(|id| lang_of.get(*id).map(String::as_str))
            .collect();
        let share = biggest.len() as f64 / mine.len() as f64;
        let one = share >= 0.8 && its_langs == langs;
        merged += usize::from(one);
        notes.push(format!(
            "{story}: {:.0}% of {} documents in one cluster, languages {} of {} ({} clusters)",
            share * 100.0,
            mine.len(),
            its_langs.into_iter().collect::<Vec<_>>().join("+"),
            langs.into_iter().collect::<Vec<_>>().join("+"),
            by_cluster.len()
        ));
    }
    println!(
        "multilingual narratives ended as one (≥ 80% of their documents in one cluster, every language): {merged} of {}{}",
        multilingual.len(),
        if notes.is_empty() {
            String::new()
        } else {
            format!(" — {}", notes.join("; "))
        }
    );
    let started = Instant::now();
    let narratives = read
        .narratives(newest - chrono::Duration::days(30), newest)
        .unwrap_or_else(|e| panic!("{e}"));
    println!(
        "assembling {} narratives: {:.0} ms",
        narratives.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    // VIGIL_BENCH_DEBUG: each seeded narrative's documents (and those of the true stories named
    // in VIGIL_BENCH_STORIES, comma-separated) with their cluster and queries, then the clusters.
    if std::env::var_os("VIGIL_BENCH_DEBUG").is_some() {
        let ids: Vec<String> = truth_of.keys().cloned().collect();
        let mut queries_of: HashMap<String, Vec<String>> = HashMap::new();
        for (doc, q) in read.store.queries_of(&ids).unwrap_or_default() {
            queries_of.entry(doc).or_default().push(q);
        }
        let mut docs = read.reader.docs_by_id(&ids).unwrap_or_default();
        docs.sort_by_key(|d| (truth_of.get(&d.id).cloned(), d.published));
        for d in &docs {
            let story = &truth_of[&d.id];
            if seeded.contains(story)
                || std::env::var("VIGIL_BENCH_STORIES")
                    .is_ok_and(|s| s.split(",").any(|x| x == story))
            {
                eprintln!(
                    "{story} {} {} {} {:?} {}",
                    predicted.get(&d.id).map(String::as_str).unwrap_or("-"),
                    d.lang,
                    d.published.format("%d %H:%M"),
                    queries_of.get(&d.id),
                    d.title.chars().take(70).collect::<String>()
                );
            }
        }
        for row in &rows {
            let members = read.store.cluster_members(&row.id).unwrap_or_default();
            let ids: Vec<String> = members.into_iter().map(|(id, _)| id).collect();
            let mut votes: BTreeMap<String, usize> = BTreeMap::new();
            for id in &ids {
                *votes
                    .entry(truth_of.get(id).cloned().unwrap_or_default())
                    .or_default() += 1;
            }
            let mut langs: BTreeMap<&str, usize> = BTreeMap::new();
            for id in &ids {
                *langs
                    .entry(lang_of.get(id).map_or("?", String::as_str))
                    .or_default() += 1;
            }
            eprintln!(
                "{} {} {:?} {:?} {}..{}",
                row.id,
                ids.len(),
                votes,
                langs,
                row.first_seen.format("%d %H:%M"),
                row.last_seen.format("%d %H:%M")
            );
        }
        // How alike the clusters are: centroid cosines of every pair above 0.05, with the
        // majority story of each, to see which merges a lower threshold would make.
        let claims = vigil::query::stored::claim_queries(&read.queries()).claims;
        let stats: Vec<(
            String,
            String,
            usize,
            vigil::detect::cluster::Sparse,
            Vec<String>,
        )> = rows
            .iter()
            .map(|row| {
                let members = read.store.cluster_members(&row.id).unwrap_or_default();
                let ids: Vec<String> = members.into_iter().map(|(id, _)| id).collect();
                let story = majority(&ids, &truth_of)
                    .map(|(s, _)| s)
                    .unwrap_or_default();
                let centroid = vigil::detect::cluster::Sparse::from_json(&row.centroid);
                let mine: Vec<String> = claims
                    .iter()
                    .filter(|c| centroid.has(&format!("claim={c}")))
                    .cloned()
                    .collect();
                (row.id.clone(), story, ids.len(), centroid, mine)
            })
            .collect();
        for (i, a) in stats.iter().enumerate() {
            for b in &stats[i + 1..] {
                let cos = a.3.cosine(&b.3);
                if cos > 0.05 {
                    eprintln!(
                        "pair {:.2} {} {}({}) {:?} ~ {}({}) {:?} {}",
                        cos,
                        if a.1 == b.1 { "SAME" } else { "diff" },
                        a.1,
                        a.2,
                        a.4,
                        b.1,
                        b.2,
                        b.4,
                        if a.4 == b.4 { "same-claims" } else { "" }
                    );
                }
            }
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(from)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
