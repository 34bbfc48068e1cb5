//! Narrative quality on the demo corpus and the scenario corpus, against the ground truth each
//! generator wrote before Vigil read its corpus (`demo/truth.json`, `scenario/truth.json`):
//! - whether each seeded narrative is flagged (an urgent spike of a cluster whose documents are
//!   mostly that narrative's), and how many hours after its first document, replaying the
//!   hours one by one so no spike sees the future;
//! - false alarms per day: urgent spike-days of clusters whose documents are mostly ordinary
//!   coverage (spikes at an expected event on the calendar are labelled and not urgent; as in
//!   the product, only a cluster matching a stored query rated watch or urgent can be urgent);
//! - clustering quality: BCubed and pairwise precision, recall and F1 of the story clusters of
//!   the matched documents against the true narrative (or ordinary story) of each;
//! - the cost of clustering (documents per second) and of assembling the narratives.
//!
//! Run: `cargo bench --bench narratives`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Instant;
use vigil::detect::spike::{self, Calendar, Event, SpikeSettings};
use vigil::pipeline::Pipeline;

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    for corpus in ["demo", "scenario"] {
        runtime.block_on(evaluate(corpus));
    }
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
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
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
    let server = vigil::demo::serve_corpus(&dir)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let config =
        vigil::demo::load_config(&dir, &server.base_url, data.path(), &root.join("queries"))
            .unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let pipeline = Pipeline::open(config.clone()).unwrap_or_else(|e| panic!("{e}"));
    let report = pipeline
        .crawl(&config.sources, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let crawl_secs = started.elapsed().as_secs_f64();
    let read = pipeline.read_side();
    let now = chrono::Utc::now();

    // Every cluster with its documents, and each document's true story.
    let rows = read
        .store
        .clusters_since(now - chrono::Duration::days(365))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut predicted: HashMap<String, String> = HashMap::new();
    let mut truth_of: HashMap<String, String> = HashMap::new();
    let mut cluster_times: BTreeMap<String, Vec<chrono::DateTime<chrono::Utc>>> = BTreeMap::new();
    let mut cluster_story: HashMap<String, String> = HashMap::new();
    // The product's rule (`narrative::can_be_urgent`): a cluster can be urgent when it matches
    // a stored query rated watch or urgent, or shows copy-paste; the copies are judged from the
    // documents published by the hour tested, so the replay stays causal.
    let mut claims: std::collections::HashSet<String> = Default::default();
    let mut cluster_docs: HashMap<String, Vec<vigil::index::reader::StoredDoc>> = HashMap::new();
    let queries = read.queries();
    for row in &rows {
        let members = read.store.cluster_members(&row.id).unwrap_or_default();
        let ids: Vec<String> = members.iter().map(|(id, _)| id.clone()).collect();
        let severity = read
            .store
            .queries_of(&ids)
            .unwrap_or_default()
            .iter()
            .filter_map(|(_, q)| queries.iter().find(|s| &s.id == q).map(|s| s.severity))
            .max();
        if vigil::detect::narrative::can_be_urgent(severity, false) {
            claims.insert(row.id.clone());
        }
        let docs = read.reader.docs_by_id(&ids).unwrap_or_default();
        let mut votes: BTreeMap<String, usize> = BTreeMap::new();
        for doc in &docs {
            predicted.insert(doc.id.clone(), row.id.clone());
            if let Some(story) = stories.get(&doc.url) {
                truth_of.insert(doc.id.clone(), story.clone());
                *votes.entry(story.clone()).or_default() += 1;
            }
        }
        if let Some((story, _)) = votes.into_iter().max_by_key(|(_, n)| *n) {
            cluster_story.insert(row.id.clone(), story);
        }
        cluster_times.insert(row.id.clone(), members.iter().map(|(_, t)| *t).collect());
        cluster_docs.insert(row.id.clone(), docs);
    }
    if std::env::var_os("VIGIL_BENCH_DEBUG").is_some() {
        for (id, story) in &cluster_story {
            let times = &cluster_times[id];
            let mut by_day: BTreeMap<i64, usize> = BTreeMap::new();
            for t in times {
                *by_day.entry(t.timestamp() / 86_400).or_default() += 1;
            }
            eprintln!(
                "{id} {story} {} per day {:?}",
                times.len(),
                by_day.values().collect::<Vec<_>>()
            );
        }
        let kinds = read
            .reader
            .count_by_source(
                &["mastodon-iccj".to_string()],
                now - chrono::Duration::days(60),
            )
            .unwrap_or_default();
        eprintln!("by source: {kinds:?}");
        // Centroid cosines between clusters of one story and of different stories.
        let centroids: Vec<(String, vigil::detect::cluster::Sparse)> = rows
            .iter()
            .map(|r| {
                (
                    r.id.clone(),
                    vigil::detect::cluster::Sparse::from_json(&r.centroid),
                )
            })
            .collect();
        let (mut same, mut different) = (Vec::new(), Vec::new());
        for (i, (a, ca)) in centroids.iter().enumerate() {
            for (b, cb) in &centroids[i + 1..] {
                let (Some(sa), Some(sb)) = (cluster_story.get(a), cluster_story.get(b)) else {
                    continue;
                };
                let cos = ca.cosine(cb);
                if sa == sb {
                    same.push((cos, sa.clone()));
                } else {
                    different.push((cos, format!("{sa}/{sb}")));
                }
            }
        }
        same.sort_by(|x, y| y.0.total_cmp(&x.0));
        different.sort_by(|x, y| y.0.total_cmp(&x.0));
        eprintln!("same story: {:?}", same.iter().take(30).collect::<Vec<_>>());
        eprintln!(
            "different stories, highest: {:?}",
            different.iter().take(15).collect::<Vec<_>>()
        );
    }
    let bcubed = vigil::detect::quality::bcubed(&predicted, &truth_of);
    let pairwise = vigil::detect::quality::pairwise(&predicted, &truth_of);

    // Hourly replay: the newest document sets the clock; spikes only see the past.
    let newest = cluster_times
        .values()
        .flatten()
        .max()
        .copied()
        .unwrap_or(now);
    let oldest = cluster_times
        .values()
        .flatten()
        .min()
        .copied()
        .unwrap_or(now);
    let start = oldest - chrono::Duration::hours(1);
    let hours = (newest - start).num_hours() as usize + 2;
    let totals = read
        .reader
        .hourly_counts(None, start, hours)
        .unwrap_or_else(|e| panic!("{e}"));
    let calendar = Calendar {
        event: truth["expected_events"]
            .as_array()
            .map(|events| {
                events
                    .iter()
                    .map(|e| Event {
                        name: e["name"].as_str().unwrap_or_default().to_string(),
                        kind: e["kind"].as_str().unwrap_or("other").to_string(),
                        start: newest
                            - chrono::Duration::minutes(
                                (e["start_hours_before_newest"].as_f64().unwrap_or(0.0) * 60.0)
                                    as i64,
                            ),
                        end: Some(
                            newest
                                - chrono::Duration::minutes(
                                    (e["end_hours_before_newest"].as_f64().unwrap_or(0.0) * 60.0)
                                        as i64,
                                ),
                        ),
                        queries: Vec::new(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    let settings = SpikeSettings::default();
    // For each cluster: the hours at which a causal replay raises an urgent spike, and the
    // labelled (expected-event) spike hours.
    let mut urgent_hours: HashMap<String, Vec<usize>> = HashMap::new();
    let mut labelled = 0;
    for (id, times) in &cluster_times {
        let mut counts = vec![0u32; hours];
        for t in times {
            if let Some(slot) = usize::try_from((*t - start).num_hours())
                .ok()
                .and_then(|h| counts.get_mut(h))
            {
                *slot += 1;
            }
        }
        for t in 0..hours {
            if counts[t] == 0 {
                // A window's count only rises in an hour with a document.
                continue;
            }
            let hour = start + chrono::Duration::hours(t as i64);
            let found = spike::spikes(
                &counts[..=t],
                &totals[..=t],
                start,
                hour,
                "",
                &settings,
                &calendar,
            );
            if let Some(s) = found.iter().find(|s| s.hour == hour) {
                if s.urgent && (claims.contains(id) || copy_paste_by(&cluster_docs[id], hour)) {
                    urgent_hours.entry(id.clone()).or_default().push(t);
                } else if s.event.is_some() {
                    labelled += 1;
                }
            }
        }
    }
    println!(
        "\n### {corpus}: {} documents indexed, {} matched and clustered into {} clusters (crawl and cluster {crawl_secs:.1} s)\n",
        report.new_documents,
        predicted.len(),
        rows.len()
    );
    println!(
        "| seeded narrative | documents | clusters mostly it | flagged | hours after its first document |"
    );
    println!("|---|---:|---:|---|---:|");
    for narrative in &seeded {
        let its: Vec<&String> = cluster_story
            .iter()
            .filter(|(_, s)| *s == narrative)
            .map(|(c, _)| c)
            .collect();
        let docs = truth_of.values().filter(|s| *s == narrative).count();
        let first = truth_of
            .iter()
            .filter(|(_, s)| *s == narrative)
            .filter_map(|(id, _)| {
                let cluster = predicted.get(id)?;
                let members = read.store.cluster_members(cluster).ok()?;
                members.into_iter().find(|(m, _)| m == id).map(|(_, t)| t)
            })
            .min();
        let flagged_at = its
            .iter()
            .filter_map(|c| urgent_hours.get(*c).and_then(|h| h.first()))
            .min()
            .map(|t| start + chrono::Duration::hours(*t as i64 + 1));
        let delay = match (first, flagged_at) {
            (Some(first), Some(at)) => format!("{:.0}", (at - first).num_minutes() as f64 / 60.0),
            _ => "—".to_string(),
        };
        println!(
            "| {narrative} | {docs} | {} | {} | {delay} |",
            its.len(),
            if flagged_at.is_some() { "yes" } else { "no" }
        );
    }
    let days = ((newest - oldest).num_hours() as f64 / 24.0).max(1.0);
    let false_days: std::collections::BTreeSet<(String, usize)> = urgent_hours
        .iter()
        .filter(|(c, _)| cluster_story.get(*c).is_none_or(|s| !seeded.contains(s)))
        .flat_map(|(c, hs)| hs.iter().map(move |h| (c.clone(), h / 24)))
        .collect();
    println!(
        "\nfalse alarms: {} urgent cluster-days on ordinary coverage over {days:.0} days = {:.2} per day; spike-hours labelled with an expected event: {labelled}",
        false_days.len(),
        false_days.len() as f64 / days
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
    let started = Instant::now();
    let narratives = vigil::detect::narrative::narratives(
        &read.store,
        &read.reader,
        &read.queries(),
        &calendar,
        now - chrono::Duration::days(30),
        now,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    println!(
        "assembling {} narratives: {:.0} ms",
        narratives.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
}

/// Whether the documents published by the end of `hour` show a burst of copy-paste, as
/// `detect::evidence` judges them.
fn copy_paste_by(
    docs: &[vigil::index::reader::StoredDoc],
    hour: chrono::DateTime<chrono::Utc>,
) -> bool {
    use vigil::detect::evidence;
    let upto: Vec<vigil::index::reader::StoredDoc> = docs
        .iter()
        .filter(|d| d.published < hour + chrono::Duration::hours(1))
        .cloned()
        .collect();
    let items = evidence::items(&upto);
    evidence::copy_groups(&items).iter().any(|g| g.burst)
}
