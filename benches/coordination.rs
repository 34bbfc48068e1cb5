//! Coordinated-sharing detection (`detect::coordination`, CooRTweet semantics) on the real data
//! in `benches/data/coordination/` (gzipped copies of the CooRTweet data, MIT): network sizes for several settings, the time each run
//! takes, and the precision and recall of finding a known coordinated group injected into that
//! real background.
//!
//! Run: `cargo bench --bench coordination`.
//!
//! The injected group: 25 accounts that, for each of 40 objects, each join a burst with
//! probability 0.6, within 8 seconds of the burst's start: 20 new objects at random times over
//! the data's span, and 20 real objects at the very moment one of the background's shares of
//! them happened (piggybacking on organic activity, so precision is tested). Precision: injected members of the
//! networks holding any injected account, over all their members. Recall: injected accounts
//! found in any network, over 25.

#[path = "common/mod.rs"]
mod common;

use common::Rng;
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;
use vigil::detect::coordination::{Interner, Settings, Share, detect};

const GROUP: usize = 25;
const OBJECTS: usize = 40;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/data/coordination")
}

/// Reads a CSV's rows as maps from header to cell.
fn rows(name: &str) -> Vec<Vec<String>> {
    let path = data_dir().join(format!("{name}.gz"));
    let mut text = String::new();
    std::fs::File::open(&path)
        .map(flate2::read::GzDecoder::new)
        .and_then(|mut gz| std::io::Read::read_to_string(&mut gz, &mut text))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

struct DataSet {
    name: String,
    shares: Vec<Share>,
    accounts: Interner,
}

fn russian() -> DataSet {
    let (mut accounts, mut objects) = (Interner::default(), Interner::default());
    let shares = rows("russian_coord_tweets.csv")
        .into_iter()
        .filter(|r| r.len() >= 4)
        .filter_map(|r| {
            Some(Share {
                object: objects.id(&r[0]),
                account: accounts.id(&r[1]),
                time: r[3].trim().parse().ok()?,
            })
        })
        .collect();
    DataSet {
        name: "russian_coord_tweets (retweeted post)".into(),
        shares,
        accounts,
    }
}

/// The German election posts, with one kind of object (column index) as the shared object.
fn german(column: usize, label: &str) -> DataSet {
    let (mut accounts, mut objects) = (Interner::default(), Interner::default());
    let shares = rows("german_elections.csv")
        .into_iter()
        .filter(|r| r.len() >= 7 && !r[column].is_empty())
        .filter_map(|r| {
            Some(Share {
                object: objects.id(&format!("{label}:{}", r[column])),
                account: accounts.id(&r[0]),
                time: r[6].trim().parse().ok()?,
            })
        })
        .collect();
    DataSet {
        name: format!("german_elections ({label})"),
        shares,
        accounts,
    }
}

/// Adds the known group; returns the injected account ids.
fn inject(data: &mut DataSet, seed: u64) -> HashSet<u32> {
    let mut rng = Rng(seed);
    let (min, max) = data.shares.iter().fold((i64::MAX, i64::MIN), |(a, b), s| {
        (a.min(s.time), b.max(s.time))
    });
    let background: Vec<(u32, i64)> = data.shares.iter().map(|s| (s.object, s.time)).collect();
    let next_object = background.iter().map(|b| b.0).max().unwrap_or(0) + 1;
    let members: Vec<u32> = (0..GROUP)
        .map(|i| data.accounts.id(&format!("injected-{i}")))
        .collect();
    for k in 0..OBJECTS {
        // Half new objects at random times; half real objects at the moment the background
        // shared them (piggybacking on organic activity, which tests precision).
        let (object, burst) = if k % 2 == 0 {
            (
                next_object + k as u32,
                min + (rng.unit() * (max - min) as f64) as i64,
            )
        } else {
            background[(rng.next() % background.len() as u64) as usize]
        };
        for &account in &members {
            if rng.unit() < 0.6 {
                data.shares.push(Share {
                    account,
                    object,
                    time: burst + (rng.unit() * 8.0) as i64,
                });
            }
        }
    }
    members.into_iter().collect()
}

fn main() {
    let settings_grid: Vec<Settings> = [10, 30, 60]
        .into_iter()
        .flat_map(|window| {
            [(2, 0.5), (3, 0.5), (2, 0.9)].into_iter().map(
                move |(min_participation, edge_quantile)| Settings {
                    window_secs: window,
                    min_participation,
                    edge_quantile,
                },
            )
        })
        .collect();
    let datasets: Vec<Box<dyn Fn() -> DataSet>> = vec![
        Box::new(russian),
        Box::new(|| german(2, "url")),
        Box::new(|| german(3, "hashtag")),
        Box::new(|| german(5, "image hash")),
    ];
    for load in &datasets {
        let data = load();
        println!(
            "\n### {}: {} shares by {} accounts\n",
            data.name,
            data.shares.len(),
            data.accounts.len()
        );
        println!(
            "| window | min participation | edge quantile (weight ≥) | networks | accounts in networks | largest | ms | injected group: precision | recall |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for settings in &settings_grid {
            let started = Instant::now();
            let plain = detect(&data.shares, settings);
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            let in_networks: usize = plain.networks.iter().map(|n| n.members.len()).sum();
            let largest = plain.networks.first().map_or(0, |n| n.members.len());
            let mut injected = load();
            let members = inject(&mut injected, 0x1C_C0DE);
            let found = detect(&injected.shares, settings);
            let holding: Vec<_> = found
                .networks
                .iter()
                .filter(|n| n.members.iter().any(|m| members.contains(m)))
                .collect();
            let total: usize = holding.iter().map(|n| n.members.len()).sum();
            let hits: usize = holding
                .iter()
                .map(|n| n.members.iter().filter(|m| members.contains(m)).count())
                .sum();
            let precision = if total == 0 {
                0.0
            } else {
                hits as f64 / total as f64
            };
            let recall = hits as f64 / GROUP as f64;
            println!(
                "| {} s | {} | {} ({}) | {} | {} | {} | {:.0} | {:.2} | {:.2} |",
                settings.window_secs,
                settings.min_participation,
                settings.edge_quantile,
                plain.weight_threshold,
                plain.networks.len(),
                in_networks,
                largest,
                ms,
                precision,
                recall
            );
        }
    }
}
