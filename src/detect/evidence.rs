//! What behaviour evidences a DISARM technique, and what ordinary journalism shows instead.
//! Vigil describes activity for a person to judge; it never attaches a technique to behaviour
//! that journalism shows every day. So:
//! - near-identical copies by outlets are *syndication* (wire copy, partner content) unless their
//!   pattern is not: copies credited to a wire service are always syndication; otherwise copies
//!   count as copy-paste (T0084.001) only when posted within minutes of each other, or when the
//!   same outlets copy each other across several different texts;
//! - copies by social accounts count as copy-paste, also when they say the same words in
//!   another order (a campaign's few wordings), and cross-posting (T0119) counts social
//!   platforms only (an outlet's article and a post quoting it are not cross-posting);
//! - flooding (T0049) is volume concentrated in few accounts, never an overall burst: a news day
//!   raises everyone's volume.
//!
//! Pure functions over the documents' sources, accounts, kinds, times and texts; every verdict
//! carries the sentence that states its evidence.

use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeSet, HashMap};

/// Copies by outlets this close together are not syndication's rhythm.
pub const MINUTES_APART: i64 = 10;
/// Fewest distinct outlets or accounts behind copies that count as evidence.
pub const MIN_COPIERS: usize = 3;
/// Fewest distinct texts the same outlets must copy from each other to form a pattern.
pub const MIN_REPEATED_TEXTS: usize = 3;
/// The window in which repeated copying by the same outlets counts.
pub const REPEAT_WINDOW_HOURS: i64 = 72;
/// Posts by one account in one hour that count as flooding.
pub const FLOOD_PER_HOUR: usize = 5;
/// Documents in a day, and the share of them from at most `FLOOD_ACCOUNTS` accounts, that
/// count as flooding.
pub const FLOOD_DAY_DOCUMENTS: usize = 10;
pub const FLOOD_ACCOUNTS: usize = 3;
pub const FLOOD_SHARE: f64 = 0.6;

/// Credits that mark a text as a wire service's (checked case-sensitively on word boundaries,
/// as they are written in bylines and datelines).
const WIRE_CREDITS: &[&str] = &[
    "AFP",
    "AP",
    "Reuters",
    "Associated Press",
    "Agence France-Presse",
    "Agence France Presse",
    "dpa",
    "DPA",
    "EFE",
    "ANSA",
    "Kyodo",
    "Xinhua",
    "TASS",
    "RIA Novosti",
    "Interfax",
    "Anadolu",
    "PA Media",
    "Belga",
    "ANP",
    "Europa Press",
    "UPI",
    "Bloomberg",
];

/// One document as evidence sees it.
#[derive(Debug, Clone)]
pub struct Item<'a> {
    /// The configured source (an outlet, or a platform feed).
    pub source: &'a str,
    /// The account behind a social post (`kind:author`), or the source for news.
    pub account: String,
    /// `news`, or the social platform.
    pub kind: &'a str,
    pub published: DateTime<Utc>,
    /// Title and body, where a wire credit would stand (borrowed from the document).
    pub title: &'a str,
    pub text: &'a str,
    /// The near-duplicate group (empty: none).
    pub dup_group: &'a str,
}

impl Item<'_> {
    fn is_news(&self) -> bool {
        self.kind == "news"
    }

    /// The wire service its title or body credits, if any.
    fn credit(&self) -> Option<&'static str> {
        credited(self.title).or_else(|| credited(self.text))
    }
}

/// Who posted a document: the account (`kind:author`) for a social post with an author, the
/// source otherwise (an outlet speaks as itself).
pub fn account(kind: &str, author: &str, source: &str) -> String {
    if kind != "news" && !author.is_empty() {
        format!("{kind}:{author}")
    } else {
        source.to_string()
    }
}

/// The items of stored documents, borrowing their texts.
pub fn items(docs: &[crate::index::reader::StoredDoc]) -> Vec<Item<'_>> {
    docs.iter()
        .map(|d| Item {
            source: &d.source,
            account: account(&d.kind, &d.author, &d.source),
            kind: &d.kind,
            published: d.published,
            title: &d.title,
            text: &d.body,
            dup_group: &d.dup_group,
        })
        .collect()
}

/// How a group of near-identical documents came about, as far as its sources and timing tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// Fewer than `MIN_COPIERS` outlets or accounts: nothing to say.
    None,
    /// Outlets carrying the same report: ordinary journalism, shown but never a technique.
    Syndicated(String),
    /// Copy-paste: by accounts, or by outlets in a pattern that is not syndication.
    Copies(String),
}

fn credited(text: &str) -> Option<&'static str> {
    WIRE_CREDITS.iter().copied().find(|credit| {
        text.match_indices(credit).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + credit.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    })
}

/// The pattern of one near-duplicate group, given every item of the narrative (to see whether
/// the same outlets copy each other across other texts).
pub fn pattern(group: &[&Item<'_>], narrative: &[Item<'_>]) -> Pattern {
    let accounts: BTreeSet<&str> = group
        .iter()
        .filter(|i| !i.is_news())
        .map(|i| i.account.as_str())
        .collect();
    if accounts.len() >= MIN_COPIERS {
        return Pattern::Copies(format!(
            "the same text posted by {} accounts",
            accounts.len()
        ));
    }
    let outlets: BTreeSet<&str> = group
        .iter()
        .filter(|i| i.is_news())
        .map(|i| i.source)
        .collect();
    if outlets.len() < MIN_COPIERS {
        return Pattern::None;
    }
    if let Some(credit) = group.iter().find_map(|i| i.credit()) {
        return Pattern::Syndicated(format!(
            "the same report carried by {} outlets, credited to {credit}",
            outlets.len()
        ));
    }
    let mut copies: Vec<(DateTime<Utc>, &str)> = group
        .iter()
        .filter(|i| i.is_news())
        .map(|i| (i.published, i.source))
        .collect();
    copies.sort();
    let (first, last) = (
        copies.first().map(|c| c.0).unwrap_or_default(),
        copies.last().map(|c| c.0).unwrap_or_default(),
    );
    // The largest burst: distinct outlets within `MINUTES_APART` of one another (a text pushed
    // again on later days keeps its group, so the group's whole span says nothing).
    let burst = largest_burst(&copies, Duration::minutes(MINUTES_APART));
    if burst >= MIN_COPIERS {
        return Pattern::Copies(format!(
            "the same text published by {burst} outlets within {MINUTES_APART} minutes of each other, with no wire credit"
        ));
    }
    let repeated = repeated_texts(&outlets, first, narrative);
    if repeated >= MIN_REPEATED_TEXTS {
        return Pattern::Copies(format!(
            "the same {} outlets copied {repeated} different texts from each other within {REPEAT_WINDOW_HOURS} hours, with no wire credit",
            outlets.len()
        ));
    }
    Pattern::Syndicated(format!(
        "the same report carried by {} outlets over {}",
        outlets.len(),
        span_words(last - first)
    ))
}

/// Distinct uncredited texts (near-duplicate groups) that at least `MIN_COPIERS` of `outlets`
/// all carried within the repeat window after `from`.
fn repeated_texts(outlets: &BTreeSet<&str>, from: DateTime<Utc>, narrative: &[Item<'_>]) -> usize {
    let until = from + Duration::hours(REPEAT_WINDOW_HOURS);
    let mut carriers: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    let mut credit: HashMap<&str, bool> = HashMap::new();
    for item in narrative {
        if item.dup_group.is_empty()
            || !item.is_news()
            || !outlets.contains(item.source)
            || item.published < from - Duration::hours(REPEAT_WINDOW_HOURS)
            || item.published > until
        {
            continue;
        }
        carriers
            .entry(item.dup_group)
            .or_default()
            .insert(item.source);
        *credit.entry(item.dup_group).or_default() |= item.credit().is_some();
    }
    carriers
        .iter()
        .filter(|(group, by)| by.len() >= MIN_COPIERS && !credit[*group])
        .count()
}

fn span_words(span: Duration) -> String {
    match span.num_hours() {
        0 => format!("{} minutes", span.num_minutes().max(1)),
        1 => "an hour".to_string(),
        h if h < 48 => format!("{h} hours"),
        h => format!("{} days", h / 24),
    }
}

/// A group of near-identical documents and what its pattern shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    /// Positions of its documents in the list given to `copy_groups`.
    pub members: Vec<usize>,
    /// Outlets carrying the same report: shown, never evidence of a technique.
    pub syndicated: bool,
    /// What the copies' sources and timing show, in a sentence.
    pub evidence: String,
    /// Copy-paste that came as a tight burst (`is_burst`), which can make a narrative urgent;
    /// copies repeated day after day (steady chatter) are described but never urgent.
    pub burst: bool,
}

/// Accounts whose copies within this many minutes of one another make a burst.
pub const ACCOUNT_BURST_MINUTES: i64 = 60;

/// The most distinct posters (`who`) within `window` of one another, over copies sorted by time:
/// a sliding window.
fn largest_burst(copies: &[(DateTime<Utc>, &str)], window: Duration) -> usize {
    let mut largest = 0;
    let mut in_window: HashMap<&str, usize> = HashMap::new();
    let mut oldest = 0;
    for (time, who) in copies {
        *in_window.entry(who).or_default() += 1;
        while *time - copies[oldest].0 > window {
            let leaving = copies[oldest].1;
            if let Some(n) = in_window.get_mut(leaving) {
                *n -= 1;
                if *n == 0 {
                    in_window.remove(leaving);
                }
            }
            oldest += 1;
        }
        largest = largest.max(in_window.len());
    }
    largest
}

/// Whether copies came as a tight burst: `MIN_COPIERS` or more accounts within
/// `ACCOUNT_BURST_MINUTES`, or outlets within `MINUTES_APART`, of one another (the issue's
/// "near-identical posts by several accounts within an hour").
pub fn is_burst(group: &[&Item<'_>]) -> bool {
    let mut accounts: Vec<(DateTime<Utc>, &str)> = group
        .iter()
        .filter(|i| !i.is_news())
        .map(|i| (i.published, i.account.as_str()))
        .collect();
    accounts.sort();
    let mut outlets: Vec<(DateTime<Utc>, &str)> = group
        .iter()
        .filter(|i| i.is_news())
        .map(|i| (i.published, i.source))
        .collect();
    outlets.sort();
    largest_burst(&accounts, Duration::minutes(ACCOUNT_BURST_MINUTES)) >= MIN_COPIERS
        || largest_burst(&outlets, Duration::minutes(MINUTES_APART)) >= MIN_COPIERS
}

/// Posts by accounts whose words agree at least this much (Jaccard, in any order) are copies
/// too: the near-duplicate groups of ingest compare word triples, so "After the hack the
/// addresses are online" and "The addresses are online after the hack" fall apart there.
pub const REORDERED_OVERLAP: f64 = 0.7;
/// Fewest distinct words a post needs for that comparison ("Worth a read:" agrees by chance).
const REORDERED_MIN_WORDS: usize = 8;
/// Each post is compared with at most this many posts before it, within a day: a bound on
/// the cost (copies by accounts come close together), not a limit on what is found by ingest.
const REORDERED_BEFORE: usize = 50;

/// A post's words for comparing copies: lower case, links and mentions left out (shares of one
/// article are alike by their address, not by what they say).
fn post_words(text: &str) -> BTreeSet<String> {
    text.split_whitespace()
        .filter(|t| !t.contains("://") && !t.starts_with("www.") && !t.starts_with('@'))
        .flat_map(|t| t.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The copy group of each item: its near-duplicate group from ingest, merged with posts by
/// accounts that say the same in another order (`REORDERED_OVERLAP`). `None`: no group.
fn copy_labels(items: &[Item<'_>]) -> Vec<Option<String>> {
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut parent: Vec<usize> = (0..items.len()).collect();
    let mut first_of: HashMap<&str, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        if item.dup_group.is_empty() {
            continue;
        }
        let first = *first_of.entry(item.dup_group).or_insert(i);
        let (a, b) = (root(&mut parent, first), root(&mut parent, i));
        parent[b] = a;
    }
    let mut posts: Vec<(DateTime<Utc>, usize, BTreeSet<String>)> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| !item.is_news())
        .map(|(i, item)| (item.published, i, post_words(item.text)))
        .filter(|(_, _, words)| words.len() >= REORDERED_MIN_WORDS)
        .collect();
    posts.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    for later in 0..posts.len() {
        let start = later.saturating_sub(REORDERED_BEFORE);
        for earlier in start..later {
            let (at, i, words) = &posts[later];
            let (then, j, before) = &posts[earlier];
            if *at - *then > Duration::hours(24) {
                continue;
            }
            let (a, b) = (root(&mut parent, *i), root(&mut parent, *j));
            if a == b {
                continue;
            }
            let shared = words.intersection(before).count();
            let union = words.len() + before.len() - shared;
            if shared as f64 >= REORDERED_OVERLAP * union as f64 {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    // A group is named by the smallest ingest group among its members (or its first item).
    let mut names: HashMap<usize, String> = HashMap::new();
    let mut sizes: HashMap<usize, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let r = root(&mut parent, i);
        *sizes.entry(r).or_default() += 1;
        if !item.dup_group.is_empty() {
            let name = names.entry(r).or_insert_with(|| item.dup_group.to_string());
            if item.dup_group < name.as_str() {
                *name = item.dup_group.to_string();
            }
        }
    }
    (0..items.len())
        .map(|i| {
            let r = root(&mut parent, i);
            names
                .get(&r)
                .cloned()
                .or_else(|| (sizes[&r] > 1).then(|| format!("~{r}")))
        })
        .collect()
}

/// Every group of copies among `items` (near-duplicates from ingest, and posts reordered) that
/// has something to show (`pattern` is not `None`), in the order of their group names.
pub fn copy_groups(items: &[Item<'_>]) -> Vec<Judged> {
    let labels = copy_labels(items);
    let mut groups: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, label) in labels.iter().enumerate() {
        if let Some(label) = label {
            groups.entry(label.as_str()).or_default().push(i);
        }
    }
    groups
        .into_values()
        .filter_map(|members| {
            let group: Vec<&Item<'_>> = members.iter().map(|&i| &items[i]).collect();
            let (syndicated, evidence) = match pattern(&group, items) {
                Pattern::None => return None,
                Pattern::Syndicated(why) => (true, why),
                Pattern::Copies(why) => (false, why),
            };
            let burst = !syndicated && is_burst(&group);
            Some(Judged {
                members,
                syndicated,
                evidence,
                burst,
            })
        })
        .collect()
}

/// Cross-posting anywhere among `items`: the first near-duplicate group with copies by accounts
/// on two or more social platforms.
pub fn cross_posting_in(items: &[Item<'_>]) -> Option<String> {
    let mut groups: std::collections::BTreeMap<&str, Vec<&Item<'_>>> = Default::default();
    for item in items.iter().filter(|i| !i.dup_group.is_empty()) {
        groups.entry(item.dup_group).or_default().push(item);
    }
    groups.values().find_map(|group| cross_posting(group))
}

/// Cross-posting: copies by accounts on two or more social platforms.
pub fn cross_posting(group: &[&Item<'_>]) -> Option<String> {
    let platforms: BTreeSet<&str> = group
        .iter()
        .filter(|i| !i.is_news())
        .map(|i| i.kind)
        .collect();
    (platforms.len() >= 2).then(|| {
        format!(
            "the same text posted by accounts on {}",
            platforms.into_iter().collect::<Vec<_>>().join(" and ")
        )
    })
}

/// Flooding: volume concentrated in few social accounts. One account posting
/// `FLOOD_PER_HOUR` or more in an hour, or, in some 24 hours with at least
/// `FLOOD_DAY_DOCUMENTS` documents, at most `FLOOD_ACCOUNTS` accounts posting `FLOOD_SHARE` of
/// them. Outlets are never counted: a live blog or a busy news day is journalism.
pub fn flooding(items: &[Item<'_>]) -> Option<String> {
    let social: Vec<&Item<'_>> = items.iter().filter(|i| !i.is_news()).collect();
    let mut per_hour: HashMap<(&str, i64), usize> = HashMap::new();
    for item in &social {
        *per_hour
            .entry((
                item.account.as_str(),
                item.published.timestamp().div_euclid(3_600),
            ))
            .or_default() += 1;
    }
    if let Some(((who, _), n)) = per_hour
        .iter()
        .filter(|(_, n)| **n >= FLOOD_PER_HOUR)
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
    {
        return Some(format!("{who} posted {n} items in one hour"));
    }
    // Every 24 hours ending at a document, as a sliding window over the items in time order.
    let mut order: Vec<&Item<'_>> = items.iter().collect();
    order.sort_by_key(|i| i.published);
    let mut by_account: HashMap<&str, usize> = HashMap::new();
    let mut oldest = 0;
    let mut best: Option<(f64, usize, Vec<(&str, usize)>)> = None;
    for (newest, item) in order.iter().enumerate() {
        if !item.is_news() {
            *by_account.entry(item.account.as_str()).or_default() += 1;
        }
        while item.published - order[oldest].published >= Duration::hours(24) {
            let leaving = order[oldest];
            if !leaving.is_news()
                && let Some(n) = by_account.get_mut(leaving.account.as_str())
            {
                *n -= 1;
                if *n == 0 {
                    by_account.remove(leaving.account.as_str());
                }
            }
            oldest += 1;
        }
        let in_day = newest + 1 - oldest;
        if in_day < FLOOD_DAY_DOCUMENTS {
            continue;
        }
        let mut top: Vec<(&str, usize)> = by_account.iter().map(|(a, n)| (*a, *n)).collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        top.truncate(FLOOD_ACCOUNTS);
        let share = top.iter().map(|(_, n)| n).sum::<usize>() as f64 / in_day as f64;
        if share >= FLOOD_SHARE && best.as_ref().is_none_or(|(s, _, _)| share > *s) {
            best = Some((share, in_day, top));
        }
    }
    best.map(|(share, total, top)| {
        let names: Vec<&str> = top.iter().map(|(who, _)| *who).collect();
        format!(
            "{} accounts ({}) posted {:.0}% of {total} documents in 24 hours",
            names.len(),
            names.join(", "),
            share * 100.0
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + Duration::minutes(minutes)
    }

    fn news<'a>(source: &'a str, minutes: i64, group: &'a str, text: &'a str) -> Item<'a> {
        Item {
            source,
            account: source.to_string(),
            kind: "news",
            published: at(minutes),
            title: "",
            text,
            dup_group: group,
        }
    }

    fn post<'a>(platform: &'a str, author: &str, minutes: i64, group: &'a str) -> Item<'a> {
        Item {
            source: platform,
            account: format!("{platform}:{author}"),
            kind: platform,
            published: at(minutes),
            title: "",
            text: "the court is corrupt",
            dup_group: group,
        }
    }

    fn verdict(narrative: &[Item<'_>], group: &str) -> Pattern {
        let members: Vec<&Item<'_>> = narrative.iter().filter(|i| i.dup_group == group).collect();
        pattern(&members, narrative)
    }

    #[test]
    fn copies_are_syndication_unless_their_pattern_is_not() {
        let report = "The court adopted its budget for next year, the registry said.";
        let credited_report = "THE HAGUE (AFP) - The court adopted its budget for next year.";
        let cases: Vec<(&str, Vec<Item<'_>>, &str)> = vec![
            (
                "three outlets over a day, no credit: syndication",
                vec![
                    news("a", 0, "g", report),
                    news("b", 300, "g", report),
                    news("c", 900, "g", report),
                ],
                "syndicated",
            ),
            (
                "three outlets within minutes but credited to AFP: syndication",
                vec![
                    news("a", 0, "g", credited_report),
                    news("b", 2, "g", credited_report),
                    news("c", 4, "g", credited_report),
                ],
                "syndicated",
            ),
            (
                "three outlets within minutes, no credit: copies",
                vec![
                    news("a", 0, "g", report),
                    news("b", 2, "g", report),
                    news("c", 4, "g", report),
                ],
                "copies",
            ),
            (
                "pushed again each day, three outlets within minutes each time: copies",
                vec![
                    news("a", 0, "g", report),
                    news("b", 3, "g", report),
                    news("c", 6, "g", report),
                    news("a", 1440, "g", report),
                    news("b", 1443, "g", report),
                    news("c", 1447, "g", report),
                ],
                "copies",
            ),
            (
                "three outlets, two of them minutes apart, the third hours later: syndication",
                vec![
                    news("a", 0, "g", report),
                    news("b", 3, "g", report),
                    news("c", 400, "g", report),
                ],
                "syndicated",
            ),
            (
                "two outlets: nothing to say",
                vec![news("a", 0, "g", report), news("b", 1, "g", report)],
                "none",
            ),
            (
                "three accounts posting one text: copies",
                vec![
                    post("mastodon", "x", 0, "g"),
                    post("mastodon", "y", 300, "g"),
                    post("bluesky", "z", 900, "g"),
                ],
                "copies",
            ),
            (
                "the same three outlets copying three texts from each other: copies",
                vec![
                    news("a", 0, "g", report),
                    news("b", 300, "g", report),
                    news("c", 900, "g", report),
                    news("a", 1000, "h", "another text"),
                    news("b", 1100, "h", "another text"),
                    news("c", 1200, "h", "another text"),
                    news("c", 1300, "i", "a third text"),
                    news("a", 1400, "i", "a third text"),
                    news("b", 1500, "i", "a third text"),
                ],
                "copies",
            ),
            (
                "wire copy carried daily by the same outlets stays syndication",
                vec![
                    news("a", 0, "g", credited_report),
                    news("b", 300, "g", credited_report),
                    news("c", 900, "g", credited_report),
                    news("a", 1000, "h", "(AP) another report"),
                    news("b", 1100, "h", "(AP) another report"),
                    news("c", 1200, "h", "(AP) another report"),
                    news("c", 1300, "i", "Reuters: a third report"),
                    news("a", 1400, "i", "Reuters: a third report"),
                    news("b", 1500, "i", "Reuters: a third report"),
                ],
                "syndicated",
            ),
        ];
        for (name, narrative, expected) in cases {
            let got = verdict(&narrative, "g");
            let kind = match &got {
                Pattern::None => "none",
                Pattern::Syndicated(_) => "syndicated",
                Pattern::Copies(_) => "copies",
            };
            assert_eq!(kind, expected, "{name}: {got:?}");
        }
    }

    #[test]
    fn wire_credits_need_word_boundaries() {
        let cases = [
            ("PARIS (AFP) - text", Some("AFP")),
            ("(AP) — the court", Some("AP")),
            ("APPEAL lodged by the defence", None),
            ("the mapping of safe houses", None),
            ("according to Reuters", Some("Reuters")),
        ];
        for (text, expected) in cases {
            assert_eq!(credited(text), expected, "{text}");
        }
    }

    #[test]
    fn cross_posting_counts_social_platforms_only() {
        let article = news("outlet", 0, "g", "text");
        let toot = post("mastodon", "x", 5, "g");
        let skeet = post("bluesky", "y", 6, "g");
        assert_eq!(cross_posting(&[&article, &toot]), None);
        assert!(cross_posting(&[&article, &toot, &skeet]).is_some());
    }

    #[test]
    fn flooding_is_volume_in_few_accounts_not_a_news_day() {
        // A news day: 30 articles from 10 outlets in a few hours.
        let outlets = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
        let news_day: Vec<Item<'_>> = (0..30)
            .map(|i| news(outlets[i % 10], i as i64 * 7, "", "text"))
            .collect();
        assert_eq!(flooding(&news_day), None);
        // A live blog: one outlet, eight updates in an hour.
        let live: Vec<Item<'_>> = (0..8).map(|i| news("a", i * 7, "", "text")).collect();
        assert_eq!(flooding(&live), None);
        // One account, six posts in an hour.
        let burst: Vec<Item<'_>> = (0..6).map(|i| post("mastodon", "x", i * 9, "")).collect();
        assert!(flooding(&burst).is_some_and(|why| why.contains("mastodon:x posted 6")));
        // Two accounts post 8 of 12 documents in a day (never 5 in one hour).
        let mut day: Vec<Item<'_>> = (0..4).map(|i| post("mastodon", "x", i * 180, "")).collect();
        day.extend((0..4).map(|i| post("mastodon", "y", i * 170 + 30, "")));
        day.extend((0..4).map(|i| news(outlets[i], i as i64 * 200, "", "text")));
        // The busiest window is reported (here 7 of the 10 documents from 10:00 on).
        let why = flooding(&day).unwrap_or_default();
        assert!(
            why.starts_with("2 accounts (")
                && why.contains("mastodon:x")
                && why.contains("mastodon:y"),
            "{why}"
        );
        // Many accounts sharing a day's volume evenly is not concentrated.
        let many: Vec<Item<'_>> = ["p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "o"]
            .iter()
            .enumerate()
            .map(|(i, who)| post("bluesky", who, i as i64 * 60, ""))
            .collect();
        assert_eq!(flooding(&many), None);
    }

    #[test]
    fn bursts_are_accounts_within_an_hour_not_chatter_over_days() {
        let campaign: Vec<Item<'_>> = ["a", "b", "c", "d", "e"]
            .iter()
            .enumerate()
            .map(|(i, who)| post("mastodon", who, i as i64 * 7, "g"))
            .collect();
        let chatter: Vec<Item<'_>> = ["a", "b", "c", "d", "e"]
            .iter()
            .enumerate()
            .map(|(i, who)| post("mastodon", who, i as i64 * 1440, "g"))
            .collect();
        assert!(is_burst(&campaign.iter().collect::<Vec<_>>()));
        assert!(!is_burst(&chatter.iter().collect::<Vec<_>>()));
        // Both are copy-paste as evidence; only the burst can make a narrative urgent.
        let judged = copy_groups(&chatter);
        assert!(judged.len() == 1 && !judged[0].syndicated && !judged[0].burst);
        assert!(copy_groups(&campaign)[0].burst);
    }

    #[test]
    fn posts_saying_the_same_in_another_order_are_copies_and_shares_of_one_article_are_not() {
        // Ingest grouped each wording apart (SimHash over word triples sees the order).
        let reordered = [
            "The home addresses of the three judges are now online after the hack. Share before it's taken down.",
            "After the hack the home addresses of all three judges are online. Share before it is taken down!",
            "Hack: the home addresses of the three judges are online now. Share before it's taken down.",
        ];
        let shares = [
            "Worth a read: https://news.example/2026/12/01/judges-hear-the-appeal-in-the-karst-case",
            "Read this https://news.example/2026/12/01/judges-hear-the-appeal-in-the-karst-case",
            "Interesting: https://news.example/2026/12/01/judges-hear-the-appeal-in-the-karst-case",
        ];
        let paraphrases = [
            "The court quietly let the general go and nobody will say why or when it happened.",
            "So the general walked free in secret? Insiders say judges released him behind closed doors.",
            "They freed the general and hid it from everyone, typical of this court and its judges.",
        ];
        let groups = ["g1", "g2", "g3", "g4", "g5"];
        let accounts = ["a", "b", "c", "d", "e"];
        let make = |texts: &[&'static str; 3]| -> Vec<Item<'static>> {
            (0..5)
                .map(|k| Item {
                    source: "mastodon",
                    account: format!("mastodon:{}", accounts[k]),
                    kind: "mastodon",
                    published: at(k as i64 * 8),
                    title: "",
                    text: texts[k % 3],
                    dup_group: groups[k],
                })
                .collect()
        };
        // (texts, one group of five copies found)
        let cases: [(&[&str; 3], bool); 3] =
            [(&reordered, true), (&shares, false), (&paraphrases, false)];
        for (texts, copies) in cases {
            let judged = copy_groups(&make(texts));
            assert_eq!(
                judged.len() == 1 && judged[0].members.len() == 5 && judged[0].burst,
                copies,
                "{texts:?}: {judged:?}"
            );
        }
    }
}
