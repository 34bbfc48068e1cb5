//! The DISARM framework of disinformation techniques, bundled from `frameworks/disarm/` (a STIX
//! 2.1 bundle) into the binary. In: nothing at run time; out: technique ids, names and tactics,
//! for checking the ids stored queries declare and for labelling narratives.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const BUNDLE: &str = include_str!("../frameworks/disarm/DISARM.json");

/// One technique, e.g. `T0084.001` "Use Copypasta".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Technique {
    pub id: String,
    pub name: String,
    /// The tactic phases it belongs to, e.g. `develop-content`.
    pub tactics: Vec<String>,
}

#[derive(Deserialize)]
struct Bundle {
    objects: Vec<Object>,
}

#[derive(Deserialize)]
struct Object {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    external_references: Vec<Reference>,
    #[serde(default)]
    kill_chain_phases: Vec<Phase>,
}

#[derive(Deserialize)]
struct Reference {
    #[serde(default)]
    external_id: Option<String>,
}

#[derive(Deserialize)]
struct Phase {
    phase_name: String,
}

/// Every technique of the bundled framework, by id.
pub fn techniques() -> &'static BTreeMap<String, Technique> {
    static TECHNIQUES: OnceLock<BTreeMap<String, Technique>> = OnceLock::new();
    TECHNIQUES.get_or_init(|| {
        // The bundle is compiled in and checked by a test, so a parse failure is impossible
        // at run time; an empty framework would still only refuse ids, never crash.
        let bundle: Bundle = serde_json::from_str(BUNDLE).unwrap_or(Bundle {
            objects: Vec::new(),
        });
        bundle
            .objects
            .into_iter()
            .filter(|o| o.kind == "attack-pattern")
            .filter_map(|o| {
                let id = o.external_references.first()?.external_id.clone()?;
                Some((
                    id.clone(),
                    Technique {
                        id,
                        name: o.name,
                        tactics: o
                            .kill_chain_phases
                            .into_iter()
                            .map(|p| p.phase_name)
                            .collect(),
                    },
                ))
            })
            .collect()
    })
}

/// A technique by id (`T0084.001`).
pub fn technique(id: &str) -> Option<&'static Technique> {
    techniques().get(id)
}

/// Checks a list of technique ids, naming the first unknown one.
pub fn check_ids(ids: &[String]) -> Result<(), String> {
    for id in ids {
        if technique(id).is_none() {
            return Err(format!(
                "unknown DISARM technique {id:?} (ids look like T0084.001; see frameworks/disarm/)"
            ));
        }
    }
    Ok(())
}

/// The framework's own STIX objects, as the bundle holds them.
fn stix_objects() -> &'static [serde_json::Value] {
    static OBJECTS: OnceLock<Vec<serde_json::Value>> = OnceLock::new();
    OBJECTS.get_or_init(|| {
        serde_json::from_str::<serde_json::Value>(BUNDLE)
            .ok()
            .and_then(|b| b.get("objects").and_then(|o| o.as_array()).cloned())
            .unwrap_or_default()
    })
}

/// A technique's `attack-pattern` object as DISARM publishes it (its STIX id is DISARM's, so a
/// partner who imported the framework sees the same object), with the objects it refers to
/// (DISARM's identity and marking definition), so a bundle that carries them is complete.
pub fn stix_attack_pattern(id: &str) -> Vec<&'static serde_json::Value> {
    let objects = stix_objects();
    let Some(pattern) = objects.iter().find(|o| {
        o["type"] == "attack-pattern"
            && o["external_references"]
                .as_array()
                .is_some_and(|refs| refs.iter().any(|r| r["external_id"] == id))
    }) else {
        return Vec::new();
    };
    let mut refs: Vec<&str> = Vec::new();
    if let Some(by) = pattern["created_by_ref"].as_str() {
        refs.push(by);
    }
    if let Some(markings) = pattern["object_marking_refs"].as_array() {
        refs.extend(markings.iter().filter_map(|m| m.as_str()));
    }
    let mut out = vec![pattern];
    out.extend(
        refs.iter()
            .filter_map(|r| objects.iter().find(|o| o["id"] == *r)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_framework_names_the_techniques_vigil_labels() {
        assert!(techniques().len() > 300, "{}", techniques().len());
        let cases = [
            ("T0084.001", "Use Copypasta"),
            ("T0049", "Flood Information Space"),
            ("T0119", "Cross-Posting"),
        ];
        for (id, name) in cases {
            assert_eq!(technique(id).map(|t| t.name.as_str()), Some(name), "{id}");
        }
        assert!(check_ids(&["T0049".into(), "T0084.001".into()]).is_ok());
        assert!(check_ids(&["T9999".into()]).is_err_and(|e| e.contains("T9999")));
    }
}
