//! Narratives on the demo corpus, crawled from a local server: the copy-paste narrative is a
//! story cluster with its copies, DISARM tags and rebuttal; clustering is incremental, keeps
//! its ids when the data directory is reopened, and never assigns a document twice; the CLI
//! lists and shows narratives.

use std::collections::{BTreeSet, HashSet};
use vigil::pipeline::Pipeline;

#[tokio::test]
async fn the_demo_narratives_are_clustered_tagged_and_stable() {
    let data = tempfile::tempdir().unwrap();
    let (server, config) = crate::support::demo_corpus(data.path()).await;
    let now = chrono::Utc::now();
    let week = now - chrono::Duration::days(30);
    let ids_before: BTreeSet<String>;
    {
        let pipeline = Pipeline::open(config.clone()).unwrap();
        let report = pipeline.crawl(&config.sources, None).await.unwrap();
        assert_eq!(report.failed().count(), 0, "{report:#?}");
        let read = pipeline.read_side();
        let all = read.narratives(week, now).unwrap();
        assert!(all.len() >= 5, "{}", all.len());
        // Every matched document is in exactly one cluster.
        let clustered: usize = all.iter().map(|n| n.documents).sum();
        assert!(clustered >= 250, "{clustered}");

        // The "hacked files" copy-paste campaign: one narrative holding the copies posted by
        // the three outlets, tagged copypasta, with the query's rebuttal.
        let hacked = all
            .iter()
            .find(|n| n.queries.iter().any(|(q, _)| q == "hacked-files") && n.documents >= 5)
            .expect("a hacked-files narrative");
        let copies = hacked.copy_paste.first().expect("copies");
        assert!(copies.accounts.len() >= 3, "{copies:?}");
        assert!(
            hacked.disarm.iter().any(|t| t.id == "T0084.001"),
            "{:?}",
            hacked.disarm
        );
        // Every technique states the behaviour that evidences it; the stored query's own DISARM
        // ids (T0089 on hacked-files) describe the threat it watches for, not what was done.
        assert!(
            !hacked.disarm.iter().any(|t| t.id == "T0089"),
            "{:?}",
            hacked.disarm
        );
        assert!(
            hacked.copy_paste.iter().any(|c| !c.syndicated),
            "{:?}",
            hacked.copy_paste
        );

        // Ordinary coverage (the demo's syndicated hearing and election reports) is never
        // tagged with a technique: its copies are shown as syndicated.
        let truth: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/truth.json"),
            )
            .unwrap(),
        )
        .unwrap();
        let mut ordinary_narratives = 0;
        for n in &all {
            let ids: Vec<String> = read
                .store
                .cluster_members(&n.id)
                .unwrap()
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            let docs = read.reader.docs_by_id(&ids).unwrap();
            let ordinary = docs.iter().all(|d| {
                truth["documents"][d.url.as_str()]
                    .as_str()
                    .is_some_and(|story| {
                        story.starts_with("ordinary") || story.starts_with("filler")
                    })
            });
            if !ordinary {
                continue;
            }
            ordinary_narratives += 1;
            assert!(
                n.disarm.is_empty(),
                "ordinary coverage tagged: {:?} {:?}",
                n.label,
                n.disarm
            );
            assert!(
                n.copy_paste.iter().all(|c| c.syndicated),
                "{:?}",
                n.copy_paste
            );
            // Matched only by coverage queries, it is never urgent.
            if n.severity <= Some(vigil::types::Severity::Info) {
                assert!(
                    !n.spikes.iter().any(|s| s.urgent),
                    "ordinary coverage marked urgent: {}",
                    n.headline()
                );
            }
        }
        assert!(ordinary_narratives >= 3, "{ordinary_narratives}");
        assert!(!hacked.rebuttals.is_empty());
        // The label is the cluster's distinctive words (which sub-story of the campaign this
        // cluster is depends on the crawl order): four words, found in its documents.
        assert_eq!(hacked.label.len(), 4, "{:?}", hacked.label);
        let titles = hacked
            .samples
            .iter()
            .map(|d| d.title.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            hacked.label.iter().any(|w| titles.contains(w.as_str())),
            "{:?} / {titles}",
            hacked.label
        );
        assert!(hacked.first_seen.published <= hacked.representative.published);
        // The most urgent narratives come first: the top one is one of the seeded campaigns.
        let top = &all[0];
        assert!(
            top.queries
                .iter()
                .any(|(q, _)| ["hacked-files", "political-tool", "void-warrant"]
                    .contains(&q.as_str())),
            "{:?}",
            top.queries
        );
        // The void-warrant narrative cites Article 58.
        let void = all
            .iter()
            .find(|n| n.queries.iter().any(|(q, _)| q == "void-warrant"))
            .expect("a void-warrant narrative");
        assert!(
            void.rebuttals.iter().any(|r| r
                .article
                .as_deref()
                .is_some_and(|a| a.starts_with("Article 58"))),
            "{:?}",
            void.rebuttals
        );
        ids_before = all.iter().map(|n| n.id.clone()).collect();
    }
    // Reopening runs no clustering again and keeps every id.
    let pipeline = Pipeline::open(config.clone()).unwrap();
    let read = pipeline.read_side();
    let report = vigil::detect::cluster::cluster_pending(
        pipeline.store(),
        &read.reader,
        &Default::default(),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(report.documents, 0, "{report:?}");
    let all = read.narratives(week, now).unwrap();
    let ids_after: BTreeSet<String> = all.iter().map(|n| n.id.clone()).collect();
    assert_eq!(ids_before, ids_after);
    let mut seen = HashSet::new();
    for n in &all {
        for (member, _) in read.store.cluster_members(&n.id).unwrap() {
            assert!(seen.insert(member.clone()), "{member} is in two clusters");
        }
    }

    // The CLI lists and shows them.
    let config_path = crate::support::write_demo_config(data.path(), data.path(), &server.base_url);
    drop(pipeline);
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(args)
            .arg("--config")
            .arg(&config_path)
            .env("RUST_LOG", "off")
            .output()
            .unwrap()
    };
    let out = run(&["narratives", "--since", "30d"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("narratives active in the last 30d"),
        "{stdout}"
    );
    assert!(
        stdout.contains("copy-paste:") && stdout.contains("DISARM T0084.001"),
        "{stdout}"
    );
    let first_id = all[0].id.clone();
    let out = run(&["narratives", "show", &first_id]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("timeline (newest first):") && stdout.contains("first seen: "),
        "{stdout}"
    );
    let out = run(&["narratives", "show", &first_id, "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["id"], first_id.as_str());
    assert_eq!(json["volume"].as_array().unwrap().len(), 72);
    let out = run(&["narratives", "show", "n-none"]);
    assert_eq!(out.status.code(), Some(1));
}

/// The court's own news is not a campaign: its statement that the hack may have exposed
/// witnesses, carried by outlets within hours, matches a claim query and becomes visible at
/// once. Urgent when the court's press feed is an ordinary source; when the feed is marked
/// `official`, the statement that began the story explains it (named as its event) and it is
/// not urgent.
#[tokio::test]
async fn the_courts_own_statement_and_its_coverage_are_not_urgent() {
    use crate::support::{Deployment, FixtureServer, source};
    let server = FixtureServer::start().await;
    let now = chrono::Utc::now();
    let item = |site: &str, n: u32, hours_ago: f64, title: &str, body: &str| {
        let when = (now - chrono::Duration::minutes((hours_ago * 60.0) as i64)).to_rfc2822();
        format!(
            "<item><title>{title}</title><link>https://{site}.example.org/{n}</link>\
             <pubDate>{when}</pubDate><description>{body}</description></item>"
        )
    };
    let feed = |site: &str, items: &[String]| {
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{site}</title>{}</channel></rss>",
            items.concat()
        )
    };
    let statement = "Attackers accessed case files and information about witnesses may have been exposed, the court said; it has strengthened their protection.";
    server.put(
        "press.xml",
        "application/rss+xml",
        feed(
            "press",
            &[item(
                "press",
                1,
                5.0,
                "Statement on the cyber-attack: witnesses may have been exposed",
                statement,
            )],
        ),
    );
    for (k, site) in ["wire", "daily", "post"].iter().enumerate() {
        let mut items = vec![item(
            site,
            1,
            4.5 - k as f64,
            "Court says cyber-attack may have exposed witnesses",
            statement,
        )];
        // Earlier, ordinary items: Vigil has watched these feeds for days.
        for day in 1..=4u32 {
            items.push(item(
                site,
                10 + day,
                24.0 * f64::from(day) + 3.0,
                &format!("Weather and markets, day {day}"),
                "Rain in the north; markets steady.",
            ));
        }
        server.put(
            &format!("{site}.xml"),
            "application/rss+xml",
            feed(site, &items),
        );
    }
    let mut urgent = Vec::new();
    for official in [false, true] {
        let mut sources = source("press", &server.url("/f/press.xml"));
        if official {
            sources.push_str("official = true\n\n");
        }
        for site in ["wire", "daily", "post"] {
            sources.push_str(&source(site, &server.url(&format!("/f/{site}.xml"))));
        }
        let deployment = Deployment::new("rate_per_host = 50.0", &sources);
        deployment.add_query("exposure", "witnesses NEAR/6 exposed");
        deployment.add_query("weather", "weather OR markets");
        let (pipeline, report) = crate::support::crawl_all(&deployment).await;
        assert_eq!(report.new_documents, 16, "{report:#?}");
        let read = pipeline.read_side();
        let narratives = read
            .narratives(now - chrono::Duration::days(7), now)
            .unwrap();
        let story = narratives
            .iter()
            .find(|n| n.queries.iter().any(|(q, _)| q == "exposure"))
            .unwrap_or_else(|| panic!("no exposure narrative: {narratives:#?}"));
        assert_eq!(story.documents, 4, "{story:#?}");
        assert!(story.visible.is_some(), "{story:#?}");
        if official {
            assert!(
                story.spikes.iter().all(|s| !s.urgent),
                "{:#?}",
                story.spikes
            );
        }
        urgent.push(story.urgent);
    }
    assert_eq!(
        urgent,
        vec![true, false],
        "(ordinary press feed, official press feed)"
    );
}

#[tokio::test]
async fn a_claim_begun_among_accounts_is_described_so_and_urgent_only_as_a_claim() {
    use crate::support::{Deployment, FixtureServer, source};
    let server = FixtureServer::start().await;
    let now = chrono::Utc::now();
    let ago = |hours: f64| now - chrono::Duration::minutes((hours * 60.0) as i64);
    // A claim no query anticipates and nobody tells on hearsay, four times in four voices'
    // own words within three hours; before it, days of ordinary items from the same voices.
    // Among accounts it is described so, by outlets not; urgent neither way (news breaking on
    // social platforms and advocacy campaigns begin among accounts too). As a claim (a query
    // rated watch) it is urgent.
    let claims = [
        "The Kalvara court has shut its field office in Port Amara. The Red Hills victims are on their own now.",
        "Field office of the Kalvara court in Port Amara closed overnight. Red Hills victims abandoned.",
        "No more Kalvara court office in Port Amara. Who will help the Red Hills victims now?",
        "The Kalvara court closed its Port Amara field office: Red Hills victims left without support.",
    ];
    let voices = [
        "amara_local",
        "victims_voice",
        "hills_watch",
        "port_news_fan",
    ];
    let mut statuses = Vec::new();
    let mut number = 1000;
    for (k, (voice, claim)) in voices.iter().zip(claims).enumerate() {
        let mut mine = vec![(4.0 - k as f64, claim.to_string())];
        for day in 1..=4u32 {
            mine.push((
                24.0 * f64::from(day) + k as f64,
                format!("Weather and markets, day {day}: rain in the north."),
            ));
        }
        for (hours, text) in mine {
            number += 1;
            statuses.push(serde_json::json!({
                "id": number.to_string(),
                "created_at": ago(hours).format("%Y-%m-%dT%H:%M:%S.000Z").to_string(),
                "uri": format!("https://plaza.example.org/users/{voice}/statuses/{number}"),
                "url": format!("https://plaza.example.org/@{voice}/{number}"),
                "content": format!("<p>{text}</p>"),
                "language": "en",
                "account": {"acct": format!("{voice}@plaza.example.org"), "display_name": voice},
                "reblog": null, "tags": [], "mentions": [],
                "reblogs_count": 0, "favourites_count": 0, "replies_count": 0,
            }));
        }
    }
    statuses.sort_by_key(|s| std::cmp::Reverse(s["id"].as_str().unwrap_or("").to_string()));
    server.put(
        "plaza.json",
        "application/json",
        serde_json::Value::Array(statuses).to_string(),
    );
    // The same texts as four outlets' reports.
    for (k, (site, claim)) in voices.iter().zip(claims).enumerate() {
        let item = |n: u32, hours: f64, title: &str| {
            format!(
                "<item><title>{title}</title><link>https://{site}.example.org/{n}</link>\
                 <pubDate>{}</pubDate><description>{title}</description></item>",
                ago(hours).to_rfc2822()
            )
        };
        let mut items = vec![item(1, 4.0 - k as f64, claim)];
        for day in 1..=4u32 {
            items.push(item(
                10 + day,
                24.0 * f64::from(day) + k as f64,
                &format!("Weather and markets, day {day}: rain in the north."),
            ));
        }
        server.put(
            &format!("{site}.xml"),
            "application/rss+xml",
            format!(
                "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{site}</title>{}</channel></rss>",
                items.concat()
            ),
        );
    }
    let mut urgent = Vec::new();
    for (among_accounts, claim) in [(true, false), (false, false), (true, true)] {
        let sources = if among_accounts {
            format!(
                "[[sources]]\nname = \"plaza\"\nkind = \"mastodon\"\nurl = \"{}\"\nallow_private = true\n\n",
                server.url("/f/plaza.json")
            )
        } else {
            voices
                .iter()
                .map(|site| source(site, &server.url(&format!("/f/{site}.xml"))))
                .collect()
        };
        let deployment = Deployment::new("rate_per_host = 50.0", &sources);
        let queries = deployment.config_path().with_file_name("queries");
        for (id, query) in [("court", "kalvara"), ("weather", "weather OR markets")] {
            std::fs::write(
                queries.join(format!("{id}.toml")),
                format!(
                    "id = \"{id}\"\ntitle = \"{id}\"\nquery = '''{query}'''\nseverity = \"info\"\n"
                ),
            )
            .unwrap();
        }
        if claim {
            deployment.add_query("closure", "kalvara AND (closed OR shut)");
        }
        let (pipeline, report) = crate::support::crawl_all(&deployment).await;
        assert_eq!(report.new_documents, 20, "{report:#?}");
        let narratives = pipeline
            .read_side()
            .narratives(now - chrono::Duration::days(7), now)
            .unwrap();
        let story = narratives
            .iter()
            .find(|n| n.queries.iter().any(|(q, _)| q == "court"))
            .unwrap_or_else(|| panic!("no claim narrative: {narratives:#?}"));
        assert_eq!(story.documents, 4, "{story:#?}");
        assert!(
            story.visible.as_ref().is_some_and(|v| v.sudden),
            "{story:#?}"
        );
        assert_eq!(story.among_accounts.is_some(), among_accounts, "{story:#?}");
        urgent.push(story.urgent);
    }
    assert_eq!(
        urgent,
        vec![false, false, true],
        "(among accounts, by outlets, among accounts as a claim)"
    );
}
