//! Narratives as a person reads them: a story cluster with what it means for the press office.
//! In: the clusters, their documents and the stored queries they matched (state database and
//! index); out: `Narrative`s, most urgent first, each with its label (class-based TF-IDF over
//! the clusters in view), representative document (medoid), first seen, hourly volume,
//! lifecycle state, spikes, sources, domains, platforms, languages, copy-paste groups,
//! amplifier networks, DISARM techniques its behaviour evidences and rebuttal anchors.
//!
//! Criticism of the court is legitimate speech: a narrative is described for a person to
//! judge; nothing here labels a document as disinformation.

use super::DetectError;
use super::DocRef;
use super::cluster::{KeptFrequencies, Vector};
use super::coordination::{self, Interner, Share};
use super::emergence::{Visibility, visibility};
use super::evidence;
use super::spike::{self, Calendar, Spike, SpikeSettings};
use crate::index::reader::{Reader, StoredDoc};
use crate::query::stored::StoredQuery;
use crate::store::{ClusterRow, Store};
use crate::types::Severity;
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Documents of one narrative read back at most (the newest).
const MAX_DOCS: usize = 300;
/// Documents of one narrative whose words name it and choose its representative, at most
/// (the newest): what it says now, and a narrative of 300 documents costs a fifth of reading
/// them all again.
const DESCRIBED_DOCS: usize = 60;
/// Clusters assembled in full at most per listing (the shortlist ranks the rest out).
const ASSEMBLE_LIMIT: usize = 500;
/// Hours of volume shown.
const VOLUME_HOURS: usize = 72;

/// Where a narrative is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lifecycle {
    New,
    Growing,
    Steady,
    Fading,
}

impl Lifecycle {
    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::New => "new",
            Lifecycle::Growing => "growing",
            Lifecycle::Steady => "steady",
            Lifecycle::Fading => "fading",
        }
    }
}

/// The state from document times: new within a day of its first document; growing when the
/// last day has at least half again the day before (and two documents); fading when the last
/// day has under half the day before; steady otherwise.
pub fn lifecycle(times: &[DateTime<Utc>], now: DateTime<Utc>) -> Lifecycle {
    let Some(first) = times.iter().min() else {
        return Lifecycle::Fading;
    };
    let day = Duration::hours(24);
    let last = times
        .iter()
        .filter(|t| **t > now - day && **t <= now)
        .count();
    let before = times
        .iter()
        .filter(|t| **t > now - day * 2 && **t <= now - day)
        .count();
    if *first > now - day {
        Lifecycle::New
    } else if last >= 2 && last * 2 >= before * 3 {
        Lifecycle::Growing
    } else if last * 2 < before || last == 0 {
        Lifecycle::Fading
    } else {
        Lifecycle::Steady
    }
}

/// Near-identical copies posted by several sources or accounts: syndication (outlets carrying
/// the same report, ordinary journalism) or copy-paste (see `evidence::pattern`).
#[derive(Debug, Clone, Serialize)]
pub struct CopyPaste {
    pub documents: usize,
    pub sources: Vec<String>,
    pub accounts: Vec<String>,
    pub platforms: Vec<String>,
    pub example: DocRef,
    /// Outlets carrying the same report: shown, never evidence of a technique.
    pub syndicated: bool,
    /// What the copies' sources and timing show, in a sentence.
    pub evidence: String,
}

/// Accounts or outlets that shared the same objects within minutes of each other.
#[derive(Debug, Clone, Serialize)]
pub struct Amplifiers {
    pub members: Vec<String>,
    pub objects: Vec<String>,
}

/// A DISARM technique and why it is attached.
#[derive(Debug, Clone, Serialize)]
pub struct Technique {
    pub id: String,
    pub name: String,
    pub why: String,
}

/// A rebuttal anchor.
#[derive(Debug, Clone, Serialize)]
pub struct Anchor {
    pub query: String,
    pub text: String,
    pub url: Option<String>,
    /// "Article 58: Issuance by the Pre-Trial Chamber of a warrant of arrest …"
    pub article: Option<String>,
    pub article_text: Option<String>,
}

/// A narrative.
#[derive(Debug, Clone, Serialize)]
pub struct Narrative {
    pub id: String,
    pub label: Vec<String>,
    pub state: Lifecycle,
    pub documents: usize,
    pub first_seen: DocRef,
    pub representative: DocRef,
    /// Documents per hour over the last 72 hours, oldest first, from `volume_start`.
    pub volume_start: DateTime<Utc>,
    pub volume: Vec<u32>,
    pub sources: Vec<(String, usize)>,
    pub domains: Vec<(String, usize)>,
    pub platforms: Vec<(String, usize)>,
    pub languages: Vec<(String, usize)>,
    /// Stored queries its documents matched, most first.
    pub queries: Vec<(String, usize)>,
    pub severity: Option<Severity>,
    pub spikes: Vec<Spike>,
    /// When it became visible (4 documents from 3 sources or accounts), and whether suddenly.
    pub visible: Option<Visibility>,
    /// Urgent: a claim (a stored query rated watch or urgent) or a burst of copy-paste that
    /// emerged suddenly within the last day or shows a burst no expected event explains.
    pub urgent: bool,
    /// Begun and told among accounts, not outlets (see `AmongAccounts`): stated, not urgent.
    pub among_accounts: Option<AmongAccounts>,
    pub copy_paste: Vec<CopyPaste>,
    pub amplifiers: Vec<Amplifiers>,
    pub disarm: Vec<Technique>,
    pub rebuttals: Vec<Anchor>,
    /// The newest documents (for `narratives show`).
    pub samples: Vec<DocRef>,
    /// Sort key: urgent spikes, then whether it is more than a lone story (three documents),
    /// then severity, then growth, then size.
    #[serde(skip)]
    rank: (bool, bool, Option<Severity>, u8, usize),
}

fn ranked(counts: BTreeMap<String, usize>) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = counts.into_iter().filter(|(k, _)| !k.is_empty()).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

fn doc_ref(doc: &StoredDoc) -> DocRef {
    DocRef {
        id: doc.id.clone(),
        title: doc.title.clone(),
        url: doc.url.clone(),
        source: doc.source.clone(),
        published: doc.published,
    }
}

/// The account behind a document: its author on social platforms, else its source.
fn account(doc: &StoredDoc) -> String {
    evidence::account(&doc.kind, &doc.author, &doc.source)
}

/// Class-based TF-IDF labels: for each cluster, the words frequent in it and rare across the
/// clusters in view (c-TF-IDF: tf · ln(1 + A / f), A the average words per cluster).
pub fn labels<C: AsRef<[Vector]>>(clusters: &[C], words: usize) -> Vec<Vec<String>> {
    // Whether a word can label at all, decided once per distinct word (the same words recur
    // in every cluster's documents).
    let mut eligible: foldhash::HashMap<&str, bool> = Default::default();
    // Each cluster's words with their summed weights, and its total (added up in the
    // documents' and words' order, so the same on every run).
    let mut total = 0.0f32;
    let sums: Vec<foldhash::HashMap<&str, f32>> = clusters
        .iter()
        .map(|docs| {
            let mut sum: foldhash::HashMap<&str, f32> = Default::default();
            for vector in docs.as_ref() {
                for (k, w) in vector {
                    let k = k.as_str();
                    let ok = *eligible.entry(k).or_insert_with(|| {
                        super::cluster::is_word(k)
                            && k.chars().count() > 2
                            && !k.chars().all(|c| c.is_numeric())
                            && !crate::text::is_stopword(k)
                    });
                    if ok {
                        *sum.entry(k).or_default() += w;
                        total += w;
                    }
                }
            }
            sum
        })
        .collect();
    let mut across: foldhash::HashMap<&str, f32> = Default::default();
    for sum in &sums {
        for (k, w) in sum {
            *across.entry(k).or_default() += w;
        }
    }
    let average = total / sums.len().max(1) as f32;
    sums.iter()
        .map(|sum| {
            let mut scored: Vec<(&str, f32)> = sum
                .iter()
                .map(|(k, tf)| (*k, tf * (1.0 + average / across[k].max(1e-6)).ln()))
                .collect();
            // Only the best few need an order.
            let by_score =
                |a: &(&str, f32), b: &(&str, f32)| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0));
            if scored.len() > words {
                scored.select_nth_unstable_by(words, by_score);
                scored.truncate(words);
            }
            scored.sort_by(by_score);
            scored.into_iter().map(|(k, _)| k.to_string()).collect()
        })
        .collect()
}

/// Whether the attention a story drew when it became visible (`at`) is explained: by the
/// court's own `statement` that began it, whatever its claims; or by an event of its
/// `calendar` (the story's own, statement included), unless it makes a claim rated urgent.
fn explains(
    calendar: &Calendar,
    statement: Option<&spike::Event>,
    severity: Option<Severity>,
    at: DateTime<Utc>,
    query: &str,
) -> bool {
    statement.is_some_and(|e| e.covers(at, query))
        || (severity < Some(Severity::Urgent) && calendar.explaining(at, query).is_some())
}

/// Share of a story's documents that must be posts (by accounts on social platforms, not news
/// sources) for it to be told among accounts, and the accounts it takes.
const AMONG_ACCOUNTS_SHARE: f64 = 0.75;
const AMONG_ACCOUNTS: usize = 3;

/// A story begun and told among accounts: its first document a post, three in four of its
/// documents posts, by three accounts or more. Stated with the narrative for a person to
/// judge, and never urgent by itself: made urgent when it emerged, it raised two false alarms
/// in eleven days on the twelfth corpus (news of an evacuation posted by accounts two hours
/// before outlets, and an advocacy campaign for reparations), written before the rule ran.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AmongAccounts {
    pub posts: usize,
    pub documents: usize,
    pub accounts: usize,
}

impl AmongAccounts {
    pub fn describe(&self) -> String {
        format!(
            "Begun among accounts: {} of {} documents are posts, by {} accounts, and the first was a post",
            self.posts, self.documents, self.accounts
        )
    }
}

/// Whether documents (kind as indexed, voice, publication) tell a story among accounts.
pub fn among_accounts(docs: &[(&str, &str, DateTime<Utc>)]) -> Option<AmongAccounts> {
    let is_post = |kind: &str| kind != "news";
    let first = docs.iter().min_by_key(|(_, voice, at)| (*at, *voice))?;
    let posts: Vec<&(&str, &str, DateTime<Utc>)> =
        docs.iter().filter(|(kind, _, _)| is_post(kind)).collect();
    let accounts: BTreeSet<&str> = posts.iter().map(|(_, voice, _)| *voice).collect();
    (is_post(first.0)
        && posts.len() as f64 >= AMONG_ACCOUNTS_SHARE * docs.len() as f64
        && accounts.len() >= AMONG_ACCOUNTS)
        .then(|| AmongAccounts {
            posts: posts.len(),
            documents: docs.len(),
            accounts: accounts.len(),
        })
}

/// Whether a narrative can be urgent: it matches a claim the analysts rated watch or urgent
/// (`severity`, the highest of its stored queries), or it shows a burst of copy-paste
/// (`evidence::is_burst`: several accounts within an hour, outlets within minutes; copies
/// repeated day after day are steady chatter). Coverage alone never is.
pub fn can_be_urgent(severity: Option<Severity>, copy_paste_burst: bool) -> bool {
    copy_paste_burst || severity.is_some_and(|s| s > Severity::Info)
}

impl Narrative {
    /// What a person reads first: the representative document's title, then the distinctive
    /// terms (`label`), e.g. "Leaked files show judges were paid (leaked · payments · judges)".
    pub fn headline(&self) -> String {
        match (self.representative.title.trim(), self.label.is_empty()) {
            ("", true) => self.id.clone(),
            ("", false) => self.label.join(" · "),
            (title, true) => title.to_string(),
            (title, false) => format!("{title} ({})", self.label.join(" · ")),
        }
    }
}

/// The positions of the `n` newest documents (by publication, then id), in the order given.
fn newest(docs: &[StoredDoc], n: usize) -> Vec<usize> {
    let mut chosen: Vec<usize> = (0..docs.len()).collect();
    if chosen.len() > n {
        chosen.sort_by(|&a, &b| {
            (docs[b].published, &docs[b].id).cmp(&(docs[a].published, &docs[a].id))
        });
        chosen.truncate(n);
        chosen.sort_unstable();
    }
    chosen
}

/// The document closest on average to all the others. The sum of a document's cosines with
/// all of them is its unit vector's dot product with the sum of their unit vectors: one pass
/// to add them up and one to score, not a cosine per pair (a narrative of 300 documents asked
/// for 90,000).
pub fn medoid(vectors: &[Vector]) -> usize {
    let inverse_norm = |v: &Vector| {
        let norm = v.values().map(|w| w * w).sum::<f32>().sqrt();
        if norm > 0.0 { 1.0 / norm } else { 0.0 }
    };
    let mut sum: HashMap<&str, f32> = HashMap::new();
    for v in vectors {
        let scale = inverse_norm(v);
        for (feature, w) in v {
            *sum.entry(feature.as_str()).or_default() += w * scale;
        }
    }
    let mut best = (0, f32::MIN);
    for (i, a) in vectors.iter().enumerate() {
        let dot: f32 = a
            .iter()
            .map(|(feature, w)| w * sum.get(feature.as_str()).copied().unwrap_or(0.0))
            .sum();
        let total = dot * inverse_norm(a);
        // (Equal totals, up to rounding, keep the first.)
        if total > best.1 + 1e-5 {
            best = (i, total);
        }
    }
    best.0
}

/// The techniques the narrative's behaviour evidences, each with the behaviour. A stored
/// query's own DISARM ids describe the threat it watches for, not what these documents did, so
/// they are not repeated here.
/// `with_repeats` adds a copy of a document for each time it was posted again (flooding
/// counts them).
fn techniques(
    copy_paste: &[CopyPaste],
    items: &[evidence::Item<'_>],
    with_repeats: &[evidence::Item<'_>],
) -> Vec<Technique> {
    let mut out: Vec<Technique> = Vec::new();
    let mut add = |id: &str, why: String| {
        if out.iter().any(|t| t.id == id) {
            return;
        }
        if let Some(t) = crate::disarm::technique(id) {
            out.push(Technique {
                id: id.to_string(),
                name: t.name.clone(),
                why,
            });
        }
    };
    if let Some(group) = copy_paste.iter().find(|g| !g.syndicated) {
        add("T0084.001", group.evidence.clone());
    }
    if let Some(why) = evidence::cross_posting_in(items) {
        add("T0119", why);
    }
    if let Some(why) = evidence::flooding(with_repeats) {
        add("T0049", why);
    }
    out
}

/// Assembles the narratives active since `since`, most urgent first.
pub fn narratives(
    store: &Store,
    reader: &Reader,
    queries: &[StoredQuery],
    calendar: &Calendar,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    frequencies: &KeptFrequencies,
) -> Result<Vec<Narrative>, DetectError> {
    let rows = store.cluster_summaries_since(since)?;
    let rows = shortlist(store, reader, calendar, rows, now)?;
    build(store, reader, queries, calendar, rows, now, frequencies)
}

/// The clusters worth assembling when there are more than `ASSEMBLE_LIMIT`: ranked from their
/// documents' times alone (state database, no document read, and only for the clusters with a
/// document in the last day) by an urgent spike under the default settings, then volume in the
/// last day, then size. Single documents go first.
fn shortlist(
    store: &Store,
    reader: &Reader,
    calendar: &Calendar,
    mut rows: Vec<ClusterRow>,
    now: DateTime<Utc>,
) -> Result<Vec<ClusterRow>, DetectError> {
    if rows.len() <= ASSEMBLE_LIMIT {
        return Ok(rows);
    }
    rows.retain(|r| r.size >= 2);
    if rows.len() <= ASSEMBLE_LIMIT {
        return Ok(rows);
    }
    let hours = 14 * 24;
    let start = (now - Duration::hours(hours as i64 - 1))
        .duration_trunc(Duration::hours(1))
        .unwrap_or(now);
    let totals = reader.hourly_counts(None, start, hours)?;
    // Only a cluster with a document in the last day can have a spike or volume there; the
    // others rank by size alone, so only the active ones' times are read.
    let day_ago = now - Duration::hours(24);
    let active: Vec<&str> = rows
        .iter()
        .filter(|r| r.last_seen >= day_ago)
        .map(|r| r.id.as_str())
        .collect();
    let mut counts: HashMap<String, Vec<u32>> = HashMap::new();
    for (cluster, times) in store.member_times_of(&active, start)? {
        let slots = counts.entry(cluster).or_insert_with(|| vec![0; hours]);
        for published in times {
            if let Ok(h) = usize::try_from((published - start).num_hours())
                && h < hours
            {
                slots[h] += 1;
            }
        }
    }
    let settings = SpikeSettings::default();
    let mut scored: Vec<((bool, u32, usize), ClusterRow)> = rows
        .into_iter()
        .map(|row| {
            let Some(counts) = counts.get(&row.id) else {
                return ((false, 0, row.size), row);
            };
            let urgent = spike::spikes(
                counts,
                &totals,
                start,
                now - Duration::hours(24),
                &row.id,
                &settings,
                calendar,
            )
            .iter()
            .any(|s| s.urgent);
            let last_day = counts[hours - 24..].iter().sum();
            ((urgent, last_day, row.size), row)
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
    scored.truncate(ASSEMBLE_LIMIT);
    Ok(scored.into_iter().map(|(_, row)| row).collect())
}

/// One narrative by id.
pub fn narrative(
    store: &Store,
    reader: &Reader,
    queries: &[StoredQuery],
    calendar: &Calendar,
    id: &str,
    now: DateTime<Utc>,
    frequencies: &KeptFrequencies,
) -> Result<Option<Narrative>, DetectError> {
    let Some(row) = store.cluster(id)? else {
        return Ok(None);
    };
    // Labels are relative to the other clusters of its time.
    let mut rows = store.cluster_summaries_since(row.first_seen - Duration::days(7))?;
    if !rows.iter().any(|r| r.id == row.id) {
        rows.push(row);
    }
    Ok(
        build(store, reader, queries, calendar, rows, now, frequencies)?
            .into_iter()
            .find(|n| n.id == id),
    )
}

fn build(
    store: &Store,
    reader: &Reader,
    queries: &[StoredQuery],
    calendar: &Calendar,
    rows: Vec<ClusterRow>,
    now: DateTime<Utc>,
    frequencies: &KeptFrequencies,
) -> Result<Vec<Narrative>, DetectError> {
    let mut vectorizer = frequencies.vectorizer(reader);
    let mut loaded: Vec<(ClusterRow, Vec<StoredDoc>, Vec<usize>, Vec<Vector>)> = Vec::new();
    for row in rows {
        let mut members = store.cluster_members(&row.id)?;
        if members.len() > MAX_DOCS {
            members.drain(..members.len() - MAX_DOCS);
        }
        let ids: Vec<String> = members.into_iter().map(|(id, _)| id).collect();
        let docs = reader.docs_by_id(&ids)?;
        if docs.is_empty() {
            continue;
        }
        let described = newest(&docs, DESCRIBED_DOCS);
        let vectors = described
            .iter()
            .map(|&i| vectorizer.vector(&docs[i]))
            .collect();
        loaded.push((row, docs, described, vectors));
    }
    frequencies.keep(vectorizer);
    let all_labels = labels(
        &loaded
            .iter()
            .map(|(_, _, _, v)| v.as_slice())
            .collect::<Vec<_>>(),
        4,
    );
    // The stream's volume per hour over two weeks, for the burst model.
    let hours = 14 * 24;
    let start = (now - Duration::hours(hours as i64 - 1))
        .duration_trunc(Duration::hours(1))
        .unwrap_or(now);
    let totals = reader.hourly_counts(None, start, hours)?;
    // What Vigil has watched: before its first counted hour it cannot call anything new.
    let watched_since = totals
        .iter()
        .position(|n| *n > 0)
        .map_or(now, |h| start + Duration::hours(h as i64));
    let mut out = Vec::new();
    for ((row, docs, described, vectors), label) in loaded.into_iter().zip(all_labels) {
        let mut by_time: Vec<usize> = (0..docs.len()).collect();
        by_time.sort_by_key(|&i| (docs[i].published, docs[i].id.clone()));
        let first = &docs[by_time[0]];
        let representative = &docs[described[medoid(&vectors)]];
        let ids: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
        // A document posted again counts again: repeats are volume (and flooding evidence).
        let repeats = store.repeats_of(&ids)?;
        let mut times: Vec<DateTime<Utc>> = docs.iter().map(|d| d.published).collect();
        times.extend(repeats.iter().map(|(_, at)| *at));
        let mut counts = vec![0u32; hours];
        for t in &times {
            if let Ok(h) = usize::try_from((*t - start).num_hours())
                && let Some(slot) = counts.get_mut(h)
            {
                *slot += 1;
            }
        }
        let tally = |key: &dyn Fn(&StoredDoc) -> String| {
            let mut counts = BTreeMap::new();
            for doc in &docs {
                *counts.entry(key(doc)).or_insert(0) += 1;
            }
            ranked(counts)
        };
        let mut query_counts = BTreeMap::new();
        for (_, query) in store.queries_of(&ids)? {
            *query_counts.entry(query).or_insert(0) += 1;
        }
        let query_ids = ranked(query_counts);
        let matched: Vec<&StoredQuery> = queries
            .iter()
            .filter(|q| query_ids.iter().any(|(id, _)| *id == q.id))
            .collect();
        let severity = matched.iter().map(|q| q.severity).max();
        let settings = matched
            .first()
            .map_or(SpikeSettings::default(), |q| q.spike);
        // The court's own news: a story its own channels began (their statement as an event).
        let statement = calendar.statement(
            docs.iter()
                .map(|d| (d.source.as_str(), d.published, d.title.as_str())),
        );
        // The events this story can be coverage of (those it names, or that list its queries),
        // and the statement that began it.
        let calendar = &{
            let mut events = if calendar.event.is_empty() {
                Calendar::default()
            } else {
                let text: Vec<&str> = docs
                    .iter()
                    .flat_map(|d| [d.title.as_str(), d.body.as_str()])
                    .collect();
                calendar.concerning(&text.join("\n"))
            };
            events.event.extend(statement.clone());
            events
        };
        let spikes = spike::spikes(
            &counts,
            &totals,
            start,
            now - Duration::hours(24),
            matched.first().map_or(row.id.as_str(), |q| q.id.as_str()),
            &settings,
            calendar,
        );
        // Copies: near-duplicate groups, each judged syndication or copy-paste.
        let items = evidence::items(&docs);
        let judged = evidence::copy_groups(&items);
        let copy_burst = judged.iter().any(|g| g.burst);
        let mut copy_paste: Vec<CopyPaste> = judged
            .into_iter()
            .map(|judged| {
                let docs: Vec<&StoredDoc> = judged.members.iter().map(|&i| &docs[i]).collect();
                let sources: BTreeSet<String> = docs.iter().map(|d| d.source.clone()).collect();
                let accounts: BTreeSet<String> = docs.iter().map(|d| account(d)).collect();
                let platforms: BTreeSet<String> = docs.iter().map(|d| d.kind.clone()).collect();
                CopyPaste {
                    documents: docs.len(),
                    sources: sources.into_iter().collect(),
                    accounts: accounts.into_iter().collect(),
                    platforms: platforms.into_iter().collect(),
                    example: doc_ref(docs[0]),
                    syndicated: judged.syndicated,
                    evidence: judged.evidence,
                }
            })
            .collect();
        copy_paste.sort_by(|a, b| {
            a.syndicated
                .cmp(&b.syndicated)
                .then(b.accounts.len().cmp(&a.accounts.len()))
                .then(b.documents.cmp(&a.documents))
        });
        // Urgency needs a claim or behaviour: a story matched only by coverage queries
        // (severity info: all mentions, hearings, the court by reference, court-focused
        // sources) and showing no burst of copy-paste keeps its unusual hours and surfaces when
        // new or growing, but is never urgent. Any story's first busy day is a spike against
        // its own empty past; a news day is not an emergency.
        // Visible: four documents from three voices. Read back in part (the newest
        // `MAX_DOCS`), a narrative became visible long before what was read.
        let truncated = row.size > docs.len();
        let voices: Vec<String> = docs.iter().map(account).collect();
        let visible = visibility(
            &docs
                .iter()
                .zip(&voices)
                .map(|(d, v)| (d.published, v.as_str()))
                .collect::<Vec<_>>(),
            watched_since,
            now,
        )
        .map(|mut v| {
            v.sudden &= !truncated;
            v
        });
        // The calendar explains attention, not accusations: a judgment day brings coverage
        // and criticism (claims rated watch), but never a bribery or exposure claim (rated
        // urgent) that emerges on that day. The court's own statement explains its coverage
        // whatever claim its words match.
        let explained = visible.is_some_and(|v| {
            explains(
                calendar,
                statement.as_ref(),
                severity,
                v.at,
                matched.first().map_or(row.id.as_str(), |q| q.id.as_str()),
            )
        });
        let emerged = visible.is_some_and(|v| v.emerging(now)) && !explained;
        let spikes: Vec<Spike> = if can_be_urgent(severity, copy_burst) {
            spikes
        } else {
            spikes
                .into_iter()
                .map(|mut s| {
                    s.urgent = false;
                    s
                })
                .collect()
        };
        // Amplifiers: coordinated sharing of links, copied texts, hashtags and reposts.
        let (mut accounts, mut objects) = (Interner::default(), Interner::default());
        let mut shares = Vec::new();
        let mut copies_of: HashMap<&str, usize> = HashMap::new();
        for doc in docs.iter().filter(|d| !d.dup_group.is_empty()) {
            *copies_of.entry(doc.dup_group.as_str()).or_default() += 1;
        }
        for doc in &docs {
            let who = accounts.id(&account(doc));
            let time = doc.published.timestamp();
            let mut things: Vec<String> = doc.links.iter().map(|l| format!("link {l}")).collect();
            things.extend(doc.hashtags.iter().map(|t| format!("#{t}")));
            if copies_of
                .get(doc.dup_group.as_str())
                .is_some_and(|n| *n > 1)
            {
                things.push(format!("text {}", doc.dup_group));
            }
            if !doc.shared_of.is_empty() {
                things.push(format!("repost {}", doc.shared_of));
            }
            for thing in things {
                shares.push(Share {
                    account: who,
                    object: objects.id(&thing),
                    time,
                });
            }
        }
        let settings = coordination::Settings {
            window_secs: 10 * 60,
            min_participation: 2,
            edge_quantile: 0.0,
        };
        let amplifiers: Vec<Amplifiers> = coordination::detect(&shares, &settings)
            .networks
            .into_iter()
            .map(|n| Amplifiers {
                members: n
                    .members
                    .iter()
                    .map(|m| accounts.name(*m).to_string())
                    .collect(),
                objects: n
                    .objects
                    .iter()
                    .map(|o| objects.name(*o).to_string())
                    .collect(),
            })
            .collect();
        let position: HashMap<&str, usize> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.as_str(), i))
            .collect();
        let mut with_repeats = items.clone();
        with_repeats.extend(repeats.iter().filter_map(|(id, at)| {
            let mut again = items[*position.get(id.as_str())?].clone();
            again.published = *at;
            Some(again)
        }));
        let disarm = techniques(&copy_paste, &items, &with_repeats);
        let rebuttals = matched
            .iter()
            .filter_map(|q| {
                let r = q.rebuttal.as_ref()?;
                let article = r.article.as_deref().and_then(crate::statute::article);
                Some(Anchor {
                    query: q.id.clone(),
                    text: r.text.clone(),
                    url: r.url.clone(),
                    article: article.map(|a| format!("Article {}: {}", a.number, a.name)),
                    article_text: article.map(|a| crate::text::truncate_chars(&a.text, 600)),
                })
            })
            .collect();
        let state = lifecycle(&times, now);
        let growth = match state {
            Lifecycle::Growing => 3,
            Lifecycle::New => 2,
            Lifecycle::Steady => 1,
            Lifecycle::Fading => 0,
        };
        let volume_from = counts.len() - VOLUME_HOURS;
        let samples = by_time
            .iter()
            .rev()
            .take(10)
            .map(|&i| doc_ref(&docs[i]))
            .collect();
        // Begun among accounts: described, never urgent by itself (news that breaks on social
        // platforms first, and advocacy campaigns, begin so too).
        let among_accounts = among_accounts(
            &docs
                .iter()
                .zip(&voices)
                .map(|(d, v)| (d.kind.as_str(), v.as_str(), d.published))
                .collect::<Vec<_>>(),
        );
        let urgent =
            can_be_urgent(severity, copy_burst) && (emerged || spikes.iter().any(|s| s.urgent));
        out.push(Narrative {
            rank: (urgent, docs.len() >= 3, severity, growth, docs.len()),
            id: row.id.clone(),
            label,
            state,
            documents: row.size.max(docs.len()),
            first_seen: doc_ref(first),
            representative: doc_ref(representative),
            volume_start: start + Duration::hours(volume_from as i64),
            volume: counts[volume_from..].to_vec(),
            sources: tally(&|d| d.source.clone()),
            domains: tally(&|d| crate::text::link_domain(&d.url)),
            platforms: tally(&|d| d.kind.clone()),
            languages: tally(&|d| d.lang.clone()),
            queries: query_ids,
            severity,
            spikes,
            visible,
            urgent,
            among_accounts,
            copy_paste,
            amplifiers,
            disarm,
            rebuttals,
            samples,
        });
    }
    out.sort_by(|a, b| b.rank.cmp(&a.rank).then_with(|| a.id.cmp(&b.id)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_story_is_told_among_accounts_when_posts_begin_and_carry_it() {
        let at = |h: i64| {
            chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 1, 0, 0, 0).unwrap()
                + Duration::hours(h)
        };
        // (documents: kind, voice, hour), among accounts
        let cases: Vec<(&str, Vec<(&str, &str, i64)>, bool)> = vec![
            (
                "four accounts",
                vec![
                    ("mastodon", "a", 0),
                    ("mastodon", "b", 1),
                    ("bluesky", "c", 2),
                    ("mastodon", "d", 3),
                ],
                true,
            ),
            (
                "three posts and a fringe site",
                vec![
                    ("mastodon", "a", 0),
                    ("mastodon", "b", 1),
                    ("news", "site", 2),
                    ("telegram", "c", 3),
                ],
                true,
            ),
            (
                "begun by an outlet",
                vec![
                    ("news", "site", 0),
                    ("mastodon", "a", 1),
                    ("mastodon", "b", 2),
                    ("mastodon", "c", 3),
                ],
                false,
            ),
            (
                "half outlets",
                vec![
                    ("mastodon", "a", 0),
                    ("news", "x", 1),
                    ("news", "y", 2),
                    ("mastodon", "b", 3),
                    ("mastodon", "c", 4),
                ],
                false,
            ),
            (
                "two accounts",
                vec![
                    ("mastodon", "a", 0),
                    ("mastodon", "b", 1),
                    ("mastodon", "a", 2),
                    ("mastodon", "b", 3),
                ],
                false,
            ),
            ("no documents", vec![], false),
        ];
        for (name, docs, expected) in cases {
            let docs: Vec<(&str, &str, DateTime<Utc>)> =
                docs.into_iter().map(|(k, v, h)| (k, v, at(h))).collect();
            assert_eq!(among_accounts(&docs).is_some(), expected, "{name}");
        }
    }

    #[test]
    fn urgency_needs_a_claim_or_copy_paste() {
        let cases = [
            (None, false, false),
            (Some(Severity::Info), false, false),
            (Some(Severity::Info), true, true),
            (Some(Severity::Watch), false, true),
            (Some(Severity::Urgent), false, true),
            (None, true, true),
        ];
        for (severity, copies, expected) in cases {
            assert_eq!(
                can_be_urgent(severity, copies),
                expected,
                "{severity:?} {copies}"
            );
        }
    }

    #[test]
    fn the_courts_statement_explains_any_claim_and_the_calendar_all_but_urgent_ones() {
        let event = |name: &str, start: i64| spike::Event {
            name: name.into(),
            kind: "other".into(),
            start: at(start),
            end: None,
            queries: Vec::new(),
        };
        let calendar = Calendar {
            event: vec![event("Judgment in the Lakeshore case", 0)],
            official_sources: Vec::new(),
        };
        let statement = spike::Event {
            end: Some(at(52)),
            ..event("Statement from court-press: the hack", 40)
        };
        let none = Calendar::default();
        // (calendar, statement, severity, visible at, explained)
        let cases = [
            (&calendar, None, Some(Severity::Watch), 3, true),
            (&calendar, None, None, 3, true),
            // An urgent claim emerging on a judgment day is not the judgment's coverage.
            (&calendar, None, Some(Severity::Urgent), 3, false),
            // Long after the event, nothing explains it.
            (&calendar, None, Some(Severity::Watch), 30, false),
            // The court's own statement explains its coverage, urgent claim or not, for a day
            // after its news day.
            (&none, Some(&statement), Some(Severity::Urgent), 41, true),
            (&none, Some(&statement), Some(Severity::Watch), 70, true),
            (&none, Some(&statement), Some(Severity::Urgent), 80, false),
            (&none, None, Some(Severity::Urgent), 41, false),
        ];
        for (calendar, statement, severity, hour, expected) in cases {
            assert_eq!(
                explains(calendar, statement, severity, at(hour), "witness-exposure"),
                expected,
                "{statement:?} {severity:?} at {hour}"
            );
        }
    }

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::<Utc>::default() + Duration::days(20_000) + Duration::hours(hours)
    }

    #[test]
    fn lifecycle_follows_the_last_two_days() {
        let now = at(100);
        // (document hours relative to now, expected)
        let cases: &[(&[i64], Lifecycle)] = &[
            (&[-3, -2], Lifecycle::New),
            (&[-40, -30, -5, -4, -3], Lifecycle::Growing),
            (&[-40, -30, -5, -4], Lifecycle::Steady),
            (&[-40, -30, -28, -5], Lifecycle::Fading),
            (&[-90, -80], Lifecycle::Fading),
            (&[], Lifecycle::Fading),
        ];
        for (hours, expected) in cases {
            let times: Vec<DateTime<Utc>> =
                hours.iter().map(|h| now + Duration::hours(*h)).collect();
            assert_eq!(lifecycle(&times, now), *expected, "{hours:?}");
        }
    }

    #[test]
    fn labels_prefer_words_distinctive_of_their_cluster() {
        let v = |words: &[(&str, f32)]| -> Vector {
            words.iter().map(|(k, w)| (k.to_string(), *w)).collect()
        };
        let clusters = vec![
            vec![
                v(&[("court", 1.0), ("hacked", 2.0)]),
                v(&[("court", 1.0), ("files", 1.5)]),
            ],
            vec![
                v(&[("court", 1.0), ("warrant", 2.0)]),
                v(&[("court", 1.0), ("void", 1.0)]),
            ],
        ];
        let labels = labels(&clusters, 2);
        assert_eq!(labels[0], vec!["hacked", "files"]);
        assert_eq!(labels[1], vec!["warrant", "void"]);
    }

    #[test]
    fn a_narrative_is_described_by_its_newest_documents_in_their_order() {
        let doc = |id: &str, hours: i64| StoredDoc {
            id: id.into(),
            published: at(hours),
            ..StoredDoc::default()
        };
        let docs = vec![
            doc("a", 5),
            doc("b", 1),
            doc("c", 9),
            doc("d", 9),
            doc("e", 3),
        ];
        // (how many, the positions chosen)
        let cases: &[(usize, &[usize])] = &[
            (10, &[0, 1, 2, 3, 4]),
            (5, &[0, 1, 2, 3, 4]),
            (3, &[0, 2, 3]),
            // Equal times: the greater id is the newer.
            (1, &[3]),
            (0, &[]),
        ];
        for (n, expected) in cases {
            assert_eq!(newest(&docs, *n), *expected, "{n}");
        }
    }

    #[test]
    fn the_medoid_is_the_most_central_document() {
        let v = |words: &[&str]| -> Vector { words.iter().map(|k| (k.to_string(), 1.0)).collect() };
        let docs = vec![
            v(&["a", "b"]),
            v(&["a", "b", "c"]),
            v(&["c", "d"]),
            v(&["b", "c"]),
        ];
        assert_eq!(medoid(&docs), 1);
        // A document with the greatest sum of cosines with all (itself included), on vectors
        // of any norm; of equal ones (up to rounding), the first.
        let totals = |vectors: &[Vector]| -> Vec<f32> {
            vectors
                .iter()
                .map(|a| {
                    vectors
                        .iter()
                        .map(|b| crate::detect::cluster::cosine(a, b))
                        .sum()
                })
                .collect()
        };
        let mut state = 7u32;
        let mut next = move || {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            state >> 16
        };
        for _ in 0..50 {
            let docs: Vec<Vector> = (0..(2 + next() % 12))
                .map(|_| {
                    (0..(1 + next() % 8))
                        .map(|_| (format!("w{}", next() % 15), (1 + next() % 9) as f32))
                        .collect()
                })
                .collect();
            let totals = totals(&docs);
            let most = totals.iter().copied().fold(f32::MIN, f32::max);
            let chosen = medoid(&docs);
            assert!(totals[chosen] >= most - 1e-4, "{docs:?}");
            assert!(
                totals[..chosen].iter().all(|t| *t < most - 1e-6),
                "{docs:?}"
            );
        }
        assert_eq!(medoid(&[]), 0);
        assert_eq!(medoid(&[Vector::new(), Vector::new()]), 0);
    }
}
