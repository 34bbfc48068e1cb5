//! Narratives as STIX 2.1 for partners (States Parties' CERTs, the EU, fact-checkers).
//! In: narratives and their documents (read side); out: one STIX bundle holding, per narrative,
//! a `campaign` (first and last seen, description, labels), the DISARM techniques its behaviour
//! evidences as DISARM's own `attack-pattern` objects (`uses`, with the evidence), each source or
//! account involved as an `identity` (`related-to`, with what it published), its document URLs as
//! `url` objects in `observed-data` per source, and a `sighting` by Vigil tying them together.
//!
//! Ids are UUIDv5 of what they stand for (a narrative's id, an account's name), so a partner who
//! imports two exports sees the same objects updated, not copies. A narrative is described, not
//! judged: every campaign says so in its description, and sources are `related-to` it, never
//! `attributed-to`.

use crate::detect::DetectError;
use crate::detect::evidence::account;
use crate::detect::narrative::Narrative;
use crate::readside::ReadSide;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Vigil's namespace for the UUIDv5 of the objects it makes.
const NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_1f64_3b1e_4e52_9a0c_6d2b_1c9e_7a41);
/// The namespace STIX 2.1 fixes for cyber-observable ids (section 2.9).
const SCO_NAMESPACE: Uuid = Uuid::from_u128(0x00ab_edb4_aa42_466c_9c01_fed2_3315_a9b7);
/// Documents of one narrative exported at most (the newest).
const MAX_DOCUMENTS: usize = 1_000;
/// URLs listed per source in one narrative at most.
const MAX_URLS_PER_SOURCE: usize = 100;
/// When Vigil's own and its sources' identities were first described: fixed, because STIX
/// forbids an object's `created` to change between versions.
const IDENTITY_CREATED: &str = "2026-01-01T00:00:00.000Z";
/// What every narrative's description ends with.
pub const NOT_A_VERDICT: &str = "Vigil describes activity; a person judges. This is not a finding that the narrative or any document is false, or that its sources act together.";

/// One document of a narrative as the export needs it.
#[derive(Debug, Clone)]
pub struct Member {
    pub url: String,
    pub source: String,
    /// The author on social platforms, else the source (`detect::evidence::account`).
    pub account: String,
    /// `news` for outlets; a platform name for accounts.
    pub kind: String,
    pub published: DateTime<Utc>,
}

fn stix_id(kind: &str, name: &str) -> String {
    format!("{kind}--{}", Uuid::new_v5(&NAMESPACE, name.as_bytes()))
}

fn url_id(value: &str) -> String {
    // The id-contributing property of a `url` is its value, as canonical JSON (RFC 8785).
    let canonical = json!({ "value": value }).to_string();
    format!(
        "url--{}",
        Uuid::new_v5(&SCO_NAMESPACE, canonical.as_bytes())
    )
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn vigil_identity() -> Value {
    json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": stix_id("identity", "vigil"),
        "created": IDENTITY_CREATED,
        "modified": IDENTITY_CREATED,
        "name": "Vigil",
        "identity_class": "system",
        "description": "Vigil, a monitoring pipeline: it describes activity around the court for a person to judge.",
    })
}

/// Cuts a text to at most `max` characters.
fn bounded(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// The bundle of `narratives`, each with its documents. `now` names the bundle.
pub fn bundle(narratives: &[(Narrative, Vec<Member>)], now: DateTime<Utc>) -> Value {
    let vigil = vigil_identity();
    let vigil_id = vigil["id"].clone();
    let mut objects: BTreeMap<String, Value> = BTreeMap::new();
    let mut add = |object: Value| {
        if let Some(id) = object["id"].as_str() {
            objects.entry(id.to_string()).or_insert(object);
        }
    };
    add(vigil);
    for (n, members) in narratives {
        let first = members
            .iter()
            .map(|m| m.published)
            .min()
            .unwrap_or(n.first_seen.published)
            .min(n.first_seen.published);
        let last = members
            .iter()
            .map(|m| m.published)
            .max()
            .unwrap_or(first)
            .max(first);
        let campaign_id = stix_id("campaign", &format!("narrative:{}", n.id));
        let queries: Vec<&str> = n.queries.iter().map(|(q, _)| q.as_str()).take(10).collect();
        let mut description = format!(
            "Narrative {} observed by Vigil: {} documents from {} sources or accounts, first seen {} ({}), last seen {}.",
            n.id,
            n.documents,
            n.sources.len(),
            time(first),
            bounded(&n.first_seen.url, 300),
            time(last),
        );
        if !queries.is_empty() {
            description.push_str(&format!(
                " Stored queries its documents matched: {}.",
                queries.join(", ")
            ));
        }
        if let Some(visible) = &n.visible {
            description.push(' ');
            description.push_str(&visible.describe());
        }
        for group in n.copy_paste.iter().take(3) {
            description.push(' ');
            description.push_str(&group.evidence);
        }
        description.push(' ');
        description.push_str(NOT_A_VERDICT);
        let mut labels = vec!["vigil-narrative".to_string(), n.state.as_str().to_string()];
        if n.urgent {
            labels.push("urgent".into());
        }
        if let Some(severity) = n.severity {
            labels.push(format!("severity-{}", severity.as_str()));
        }
        add(json!({
            "type": "campaign",
            "spec_version": "2.1",
            "id": campaign_id,
            "created_by_ref": vigil_id,
            "created": time(first),
            "modified": time(last),
            "name": bounded(&n.headline(), 300),
            "description": bounded(&description, 4_000),
            "first_seen": time(first),
            "last_seen": time(last),
            "labels": labels,
            "external_references": [{ "source_name": "vigil", "external_id": n.id }],
        }));
        for technique in &n.disarm {
            let pattern = crate::disarm::stix_attack_pattern(&technique.id);
            let Some(pattern_id) = pattern.first().and_then(|p| p["id"].as_str()) else {
                continue;
            };
            let pattern_id = pattern_id.to_string();
            pattern.into_iter().for_each(|o| add(o.clone()));
            add(json!({
                "type": "relationship",
                "spec_version": "2.1",
                "id": stix_id("relationship", &format!("uses:{}:{}", n.id, technique.id)),
                "created_by_ref": vigil_id,
                "created": time(first),
                "modified": time(last),
                "relationship_type": "uses",
                "source_ref": campaign_id,
                "target_ref": pattern_id,
                "description": format!("{} {}: {}", technique.id, technique.name, technique.why),
            }));
        }
        // Per source or account: its identity, what it published, and the URLs observed.
        let mut by_account: BTreeMap<&str, Vec<&Member>> = BTreeMap::new();
        for m in members {
            by_account.entry(m.account.as_str()).or_default().push(m);
        }
        let mut observed = Vec::new();
        for (name, docs) in &by_account {
            let identity_id = stix_id("identity", &format!("account:{name}"));
            let outlet = docs.iter().all(|d| d.kind == "news");
            add(json!({
                "type": "identity",
                "spec_version": "2.1",
                "id": identity_id,
                "created_by_ref": vigil_id,
                "created": IDENTITY_CREATED,
                "modified": IDENTITY_CREATED,
                "name": bounded(name, 300),
                "identity_class": if outlet { "organization" } else { "unknown" },
                "description": if outlet {
                    format!("News source {:?} as configured in Vigil.", bounded(&docs[0].source, 200))
                } else {
                    format!("Account on {} seen through source {:?}.", docs[0].kind, bounded(&docs[0].source, 200))
                },
            }));
            let from = docs.iter().map(|d| d.published).min().unwrap_or(first);
            let to = docs.iter().map(|d| d.published).max().unwrap_or(last);
            add(json!({
                "type": "relationship",
                "spec_version": "2.1",
                "id": stix_id("relationship", &format!("related-to:{}:{name}", n.id)),
                "created_by_ref": vigil_id,
                "created": time(first),
                "modified": time(last),
                "relationship_type": "related-to",
                "source_ref": identity_id,
                "target_ref": campaign_id,
                "description": format!(
                    "Published {} document(s) in this narrative between {} and {}.",
                    docs.len(), time(from), time(to)
                ),
            }));
            let mut urls: Vec<&str> = docs
                .iter()
                .map(|d| d.url.as_str())
                .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                .collect();
            urls.sort_unstable();
            urls.dedup();
            urls.truncate(MAX_URLS_PER_SOURCE);
            if urls.is_empty() {
                continue;
            }
            let mut refs = Vec::new();
            for url in urls {
                let id = url_id(url);
                refs.push(Value::String(id.clone()));
                add(json!({ "type": "url", "spec_version": "2.1", "id": id, "value": url }));
            }
            let observed_id = stix_id("observed-data", &format!("{}:{name}", n.id));
            observed.push(Value::String(observed_id.clone()));
            add(json!({
                "type": "observed-data",
                "spec_version": "2.1",
                "id": observed_id,
                "created_by_ref": vigil_id,
                "created": time(from),
                "modified": time(to),
                "first_observed": time(from),
                "last_observed": time(to),
                "number_observed": docs.len().max(1),
                "object_refs": refs,
            }));
        }
        let mut sighting = json!({
            "type": "sighting",
            "spec_version": "2.1",
            "id": stix_id("sighting", &format!("narrative:{}", n.id)),
            "created_by_ref": vigil_id,
            "created": time(first),
            "modified": time(last),
            "first_seen": time(first),
            "last_seen": time(last),
            "count": members.len().min(999_999_999),
            "sighting_of_ref": campaign_id,
            "where_sighted_refs": [vigil_id],
            "description": format!(
                "Documents Vigil crawled from {} sources or accounts. {NOT_A_VERDICT}",
                by_account.len()
            ),
        });
        if !observed.is_empty() {
            sighting["observed_data_refs"] = Value::Array(observed);
        }
        add(sighting);
    }
    let ids: Vec<&str> = narratives.iter().map(|(n, _)| n.id.as_str()).collect();
    json!({
        "type": "bundle",
        "id": stix_id("bundle", &format!("{}@{}", ids.join(","), time(now))),
        "objects": objects.into_values().collect::<Vec<_>>(),
    })
}

/// The documents of a narrative, newest `MAX_DOCUMENTS`.
pub fn members(read: &ReadSide, narrative_id: &str) -> Result<Vec<Member>, DetectError> {
    let mut ids: Vec<String> = read
        .store
        .cluster_members(narrative_id)?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    if ids.len() > MAX_DOCUMENTS {
        ids.drain(..ids.len() - MAX_DOCUMENTS);
    }
    Ok(read
        .reader
        .docs_by_id(&ids)?
        .into_iter()
        .map(|d| Member {
            account: account(&d.kind, &d.author, &d.source),
            url: d.url,
            source: d.source,
            kind: d.kind,
            published: d.published,
        })
        .collect())
}

/// The bundle of the narratives active since `since`.
pub fn export_since(
    read: &ReadSide,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Value, DetectError> {
    let mut items = Vec::new();
    for n in read.narratives(since, now)? {
        let members = members(read, &n.id)?;
        items.push((n, members));
    }
    Ok(bundle(&items, now))
}

/// The bundle of one narrative, or `None` when there is no such narrative.
pub fn export_one(
    read: &ReadSide,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<Value>, DetectError> {
    let Some(n) = read.narrative(id, now)? else {
        return Ok(None);
    };
    let members = members(read, &n.id)?;
    Ok(Some(bundle(&[(n, members)], now)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_url_ids_follow_the_stix_namespace() {
        assert_eq!(
            stix_id("campaign", "narrative:n1"),
            stix_id("campaign", "narrative:n1")
        );
        assert_ne!(
            stix_id("campaign", "narrative:n1"),
            stix_id("campaign", "narrative:n2")
        );
        // The example of STIX 2.1 section 2.9 is not given for url; the rule is UUIDv5 of the
        // canonical JSON of the value under the fixed namespace, so check the parts.
        let id = url_id("https://example.org/a");
        let expected = Uuid::new_v5(&SCO_NAMESPACE, br#"{"value":"https://example.org/a"}"#);
        assert_eq!(id, format!("url--{expected}"));
        assert_eq!(expected.get_version_num(), 5);
    }

    #[test]
    fn bounded_cuts_on_characters() {
        assert_eq!(bounded("Прокурор", 3), "Про…");
        assert_eq!(bounded("abc", 3), "abc");
    }
}
