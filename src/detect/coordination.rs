//! Coordinated sharing: accounts (or outlets) that repeatedly share the same object (a URL, a
//! near-duplicate text, a hashtag, a reposted post) within a short time of each other, with the
//! semantics of CooRTweet (Righetti & Balluff): a *time window* within which two shares of one
//! object by different accounts count as coordinated, a *minimum participation* (distinct
//! objects an account shared in a coordinated way) to be kept, and an *edge-weight threshold*
//! (a quantile of the weights: the number of distinct objects two accounts co-shared). The
//! connected groups of the remaining graph are amplifier networks.
//!
//! In: `Share`s (interned account and object ids, Unix seconds); out: `Network`s with their
//! members, the objects they co-shared and their edges. Pure and deterministic; bounded by
//! `MAX_PARTNERS` shares compared after each share of one object.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Shares after one share of an object compared with it: an object shared by thousands of
/// accounts within a window (a trending hashtag) would otherwise cost a square of them.
pub const MAX_PARTNERS: usize = 256;

/// One account sharing one object at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    pub account: u32,
    pub object: u32,
    pub time: i64,
}

/// CooRTweet's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Two shares of an object by different accounts this close (seconds) are coordinated.
    pub window_secs: i64,
    /// Distinct objects an account must have shared in a coordinated way.
    pub min_participation: usize,
    /// Edges lighter than this quantile of all edge weights are dropped (0 keeps all).
    pub edge_quantile: f64,
}

impl Default for Settings {
    /// CooRTweet's defaults: 10 seconds, 2 objects, the median edge weight.
    fn default() -> Settings {
        Settings {
            window_secs: 10,
            min_participation: 2,
            edge_quantile: 0.5,
        }
    }
}

/// A connected group of coordinated accounts.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// Sorted account ids.
    pub members: Vec<u32>,
    /// Objects its members co-shared in a coordinated way, sorted.
    pub objects: Vec<u32>,
    /// (account, account, weight) with the smaller account first.
    pub edges: Vec<(u32, u32, u32)>,
}

/// The result of a run, with the sizes a report needs.
#[derive(Debug, Clone, Default)]
pub struct Detection {
    pub networks: Vec<Network>,
    /// Coordinated pairs found before thresholds.
    pub pairs: usize,
    /// The edge weight the quantile came to.
    pub weight_threshold: u32,
}

/// Finds amplifier networks among `shares`. Networks come largest first.
pub fn detect(shares: &[Share], settings: &Settings) -> Detection {
    let mut by_object: HashMap<u32, Vec<(i64, u32)>> = HashMap::new();
    for share in shares {
        by_object
            .entry(share.object)
            .or_default()
            .push((share.time, share.account));
    }
    // (a, b) → objects they co-shared within the window.
    let mut pair_objects: HashMap<(u32, u32), BTreeSet<u32>> = HashMap::new();
    let mut objects: Vec<u32> = by_object.keys().copied().collect();
    objects.sort_unstable();
    for object in objects {
        let Some(list) = by_object.get_mut(&object) else {
            continue;
        };
        list.sort_unstable();
        for i in 0..list.len() {
            let (t, a) = list[i];
            for &(u, b) in list.iter().skip(i + 1).take(MAX_PARTNERS) {
                if u - t > settings.window_secs {
                    break;
                }
                if a != b {
                    pair_objects
                        .entry((a.min(b), a.max(b)))
                        .or_default()
                        .insert(object);
                }
            }
        }
    }
    let pairs = pair_objects.len();
    // Participation: distinct objects each account shared in a coordinated way.
    let mut participation: HashMap<u32, BTreeSet<u32>> = HashMap::new();
    for (&(a, b), objects) in &pair_objects {
        participation.entry(a).or_default().extend(objects);
        participation.entry(b).or_default().extend(objects);
    }
    let kept = |account: u32| {
        participation
            .get(&account)
            .is_some_and(|o| o.len() >= settings.min_participation)
    };
    let mut edges: Vec<(u32, u32, u32, &BTreeSet<u32>)> = pair_objects
        .iter()
        .filter(|((a, b), _)| kept(*a) && kept(*b))
        .map(|(&(a, b), objects)| (a, b, objects.len() as u32, objects))
        .collect();
    let weight_threshold = quantile(
        &edges.iter().map(|e| e.2).collect::<Vec<_>>(),
        settings.edge_quantile,
    );
    edges.retain(|e| e.2 >= weight_threshold);
    edges.sort_unstable_by_key(|e| (e.0, e.1));
    // Connected components by union-find.
    let mut parent: BTreeMap<u32, u32> = BTreeMap::new();
    fn root(parent: &mut BTreeMap<u32, u32>, x: u32) -> u32 {
        let mut r = x;
        while let Some(&p) = parent.get(&r) {
            if p == r {
                break;
            }
            r = p;
        }
        // Path compression.
        let mut y = x;
        while let Some(&p) = parent.get(&y) {
            if p == r {
                break;
            }
            parent.insert(y, r);
            y = p;
        }
        r
    }
    for &(a, b, ..) in &edges {
        parent.entry(a).or_insert(a);
        parent.entry(b).or_insert(b);
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            parent.insert(ra.max(rb), ra.min(rb));
        }
    }
    let mut groups: BTreeMap<u32, Network> = BTreeMap::new();
    for &(a, b, weight, objects) in &edges {
        let r = root(&mut parent, a);
        let network = groups.entry(r).or_insert_with(|| Network {
            members: Vec::new(),
            objects: Vec::new(),
            edges: Vec::new(),
        });
        network.members.extend([a, b]);
        network.objects.extend(objects.iter().copied());
        network.edges.push((a, b, weight));
    }
    let mut networks: Vec<Network> = groups
        .into_values()
        .map(|mut n| {
            n.members.sort_unstable();
            n.members.dedup();
            n.objects.sort_unstable();
            n.objects.dedup();
            n
        })
        .collect();
    networks.sort_by(|x, y| {
        y.members
            .len()
            .cmp(&x.members.len())
            .then_with(|| x.members.cmp(&y.members))
    });
    Detection {
        networks,
        pairs,
        weight_threshold,
    }
}

/// The `q` quantile of `values` (nearest rank, rounding down); 0 for none.
fn quantile(values: &[u32], q: f64) -> u32 {
    if values.is_empty() || q <= 0.0 {
        return 0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = ((sorted.len() - 1) as f64 * q.clamp(0.0, 1.0)).floor() as usize;
    sorted[rank]
}

/// Interns strings as dense ids, for building `Share`s from documents or files.
#[derive(Debug, Default)]
pub struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    pub fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(name.to_string(), id);
        self.names.push(name.to_string());
        id
    }

    pub fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", String::as_str)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(account: u32, object: u32, time: i64) -> Share {
        Share {
            account,
            object,
            time,
        }
    }

    #[test]
    fn repeated_quick_co_shares_form_a_network_and_chance_meetings_do_not() {
        let mut shares = Vec::new();
        // Accounts 1, 2, 3 share objects 10..14 within seconds of each other, five times.
        for (k, object) in (10..15).enumerate() {
            let t = 1_000 * k as i64;
            shares.extend([
                share(1, object, t),
                share(2, object, t + 3),
                share(3, object, t + 7),
            ]);
        }
        // Account 4 meets account 1 once (object 10); account 5 shares the same objects but
        // an hour later.
        shares.push(share(4, 10, 2));
        for object in 10..15 {
            shares.push(share(5, object, 3_600 + object as i64 * 1_000));
        }
        let detection = detect(&shares, &Settings::default());
        assert_eq!(detection.networks.len(), 1, "{detection:?}");
        let network = &detection.networks[0];
        assert_eq!(network.members, vec![1, 2, 3]);
        assert_eq!(network.objects, vec![10, 11, 12, 13, 14]);
        assert!(
            network.edges.iter().all(|e| e.2 == 5),
            "{:?}",
            network.edges
        );
    }

    #[test]
    fn each_setting_does_what_it_says() {
        // (settings, expected member lists)
        let shares = vec![
            share(1, 1, 0),
            share(2, 1, 20),
            share(1, 2, 100),
            share(2, 2, 120),
            share(3, 3, 500),
            share(4, 3, 505),
        ];
        let cases: Vec<(Settings, Vec<Vec<u32>>)> = vec![
            (Settings::default(), vec![]),
            (
                Settings {
                    window_secs: 30,
                    ..Settings::default()
                },
                vec![vec![1, 2]],
            ),
            (
                Settings {
                    window_secs: 30,
                    min_participation: 1,
                    edge_quantile: 0.0,
                },
                vec![vec![1, 2], vec![3, 4]],
            ),
            (
                Settings {
                    window_secs: 30,
                    min_participation: 1,
                    edge_quantile: 1.0,
                },
                vec![vec![1, 2]],
            ),
        ];
        for (settings, expected) in cases {
            let members: Vec<Vec<u32>> = detect(&shares, &settings)
                .networks
                .into_iter()
                .map(|n| n.members)
                .collect();
            assert_eq!(members, expected, "{settings:?}");
        }
    }

    #[test]
    fn quantiles_and_interning() {
        assert_eq!(quantile(&[], 0.5), 0);
        assert_eq!(quantile(&[5, 1, 3], 0.5), 3);
        assert_eq!(quantile(&[5, 1, 3], 1.0), 5);
        assert_eq!(quantile(&[5, 1, 3], 0.0), 0);
        let mut names = Interner::default();
        assert_eq!((names.id("a"), names.id("b"), names.id("a")), (0, 1, 0));
        assert_eq!(names.name(1), "b");
        assert_eq!(names.len(), 2);
    }
}
