//! Narratives for partners: the demo corpus crawled from 127.0.0.1, exported as STIX 2.1 from
//! the CLI and the API, each bundle checked by the independent `stix2-validator`, with the
//! DISARM techniques as DISARM's own attack patterns and ids stable across exports.

use crate::support::{python, run_python, vigil, write_demo_config};
use std::collections::BTreeSet;

/// Validates a bundle file with stix2-validator: it must be valid (every MUST), and its only
/// warning may be {103}, "not a UUIDv4": ids are UUIDv5 of what they stand for, so that they
/// stay the same across exports (the spec's SHOULD gives way to the MUST). DISARM's own
/// objects, carried as DISARM publishes them, keep DISARM's warnings (custom `x_mitre_`
/// properties).
fn validate(path: &std::path::Path) {
    let bundle: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let disarm: Vec<String> = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["type"] == "attack-pattern")
        .flat_map(|o| {
            let mut ids = vec![o["id"].as_str().unwrap().to_string()];
            ids.extend(o["created_by_ref"].as_str().map(str::to_string));
            ids.extend(
                o["object_marking_refs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|m| m.as_str().map(str::to_string)),
            );
            ids
        })
        .collect();
    let report = run_python(
        "import sys\nfrom stix2validator import validate_file, print_results, ValidationOptions\n\
r = validate_file(sys.argv[1], ValidationOptions(version='2.1'))\nprint_results(r)\n\
sys.exit(0 if r.is_valid else 1)",
        &[path.to_str().unwrap()],
    );
    for line in report
        .lines()
        .filter(|l| l.contains("[!]") || l.contains("[X]"))
    {
        assert!(
            line.contains("{103}") || disarm.iter().any(|id| line.contains(id.as_str())),
            "{report}"
        );
    }
}

fn ids(bundle: &serde_json::Value) -> BTreeSet<String> {
    bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn narratives_export_as_valid_stix_with_stable_ids() {
    let _ = python();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (server, config) = crate::support::demo_corpus(&data).await;
    let pipeline = vigil::pipeline::Pipeline::open(config.clone()).unwrap();
    let report = pipeline.crawl(&config.sources, None).await.unwrap();
    assert_eq!(report.failed().count(), 0, "{report:#?}");
    drop(pipeline);
    write_demo_config(dir.path(), &data, &server.base_url);

    // Every narrative of the month, from the CLI, twice.
    let first = dir.path().join("first.json");
    let second = dir.path().join("second.json");
    for out in [&first, &second] {
        let output = vigil(
            &[
                "narratives",
                "export",
                "--stix",
                "--since",
                "30d",
                "--out",
                out.to_str().unwrap(),
            ],
            dir.path(),
        );
        assert!(output.status.success(), "{output:?}");
    }
    validate(&first);
    let a: serde_json::Value = serde_json::from_slice(&std::fs::read(&first).unwrap()).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&std::fs::read(&second).unwrap()).unwrap();
    let (mut ids_a, mut ids_b) = (ids(&a), ids(&b));
    // Objects keep their ids from one export to the next (the bundle itself is named by time).
    ids_a.retain(|id| !id.starts_with("bundle--"));
    ids_b.retain(|id| !id.starts_with("bundle--"));
    assert_eq!(ids_a, ids_b);

    let objects = a["objects"].as_array().unwrap();
    let of = |kind: &'static str| objects.iter().filter(move |o| o["type"] == kind);
    assert!(of("campaign").count() >= 5);
    for campaign in of("campaign") {
        let description = campaign["description"].as_str().unwrap();
        assert!(description.contains("a person judges"), "{description}");
        assert!(campaign["first_seen"].as_str() <= campaign["last_seen"].as_str());
    }
    // The copy-paste narrative: T0084.001 as DISARM's own attack pattern, used with the
    // behaviour that evidences it.
    let copypasta = of("attack-pattern")
        .find(|p| {
            p["external_references"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["external_id"] == "T0084.001")
        })
        .expect("T0084.001");
    assert_eq!(
        copypasta["id"],
        "attack-pattern--4cd719a9-e817-4acc-9581-6b6a60e42f35"
    );
    let uses = of("relationship")
        .find(|r| r["relationship_type"] == "uses" && r["target_ref"] == copypasta["id"])
        .expect("a campaign uses T0084.001");
    assert!(
        uses["description"].as_str().unwrap().contains("T0084.001"),
        "{uses}"
    );
    // Sources are related to a narrative, never attributed.
    assert!(of("relationship").all(|r| r["relationship_type"] != "attributed-to"));
    assert!(of("identity").count() > 3);
    assert!(of("url").all(|u| u["value"].as_str().unwrap().starts_with("http")));
    assert!(of("sighting").count() == of("campaign").count());

    // One narrative from the API, for a viewer, the same objects as in the CLI's bundle.
    let campaign = of("campaign").next().unwrap();
    let narrative = campaign["external_references"][0]["external_id"]
        .as_str()
        .unwrap()
        .to_string();
    let config = vigil::config::Config::load(&dir.path().join("vigil.toml")).unwrap();
    let (app, store, tokens) =
        crate::support::app_with_users(&config, &[("partner", vigil::auth::Role::Viewer)]);
    let token = tokens[0].clone();
    let get = |uri: String| {
        let (app, token) = (app.clone(), token.clone());
        async move { crate::support::request(&app, "GET", &uri, &token).await }
    };
    let (status, headers, body) = get(format!("/api/narratives/{narrative}/stix")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/stix+json;version=2.1");
    let one_path = dir.path().join("one.json");
    std::fs::write(&one_path, &body).unwrap();
    validate(&one_path);
    let one: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(ids(&one).contains(campaign["id"].as_str().unwrap()));
    let (status, _, _) = get("/api/narratives/n-nope/stix".to_string()).await;
    assert_eq!(status, 404);
    let audit = store
        .audit_log(chrono::Utc::now() - chrono::Duration::hours(1), 100)
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "export" && a.detail.contains("stix")),
        "{audit:?}"
    );
}
