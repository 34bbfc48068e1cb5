//! Clustering quality against a ground truth, for the narrative benchmark: BCubed and pairwise
//! precision, recall and F1. In: each item's predicted cluster and true class (items missing
//! from either side are left out); out: `Scores`. Pure functions with table tests.

use std::collections::HashMap;
use std::hash::Hash;

/// Precision, recall and their harmonic mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Scores {
    fn new(precision: f64, recall: f64) -> Scores {
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Scores {
            precision,
            recall,
            f1,
        }
    }
}

/// Items with both a prediction and a truth: (cluster, class) pairs.
fn pairs<I: Eq + Hash, C: Eq + Hash + Clone, K: Eq + Hash + Clone>(
    predicted: &HashMap<I, C>,
    truth: &HashMap<I, K>,
) -> Vec<(C, K)> {
    predicted
        .iter()
        .filter_map(|(item, cluster)| {
            truth
                .get(item)
                .map(|class| (cluster.clone(), class.clone()))
        })
        .collect()
}

/// BCubed: for each item, the share of its cluster that has its class (precision) and the
/// share of its class that is in its cluster (recall), averaged over items.
pub fn bcubed<I: Eq + Hash, C: Eq + Hash + Clone, K: Eq + Hash + Clone>(
    predicted: &HashMap<I, C>,
    truth: &HashMap<I, K>,
) -> Scores {
    let items = pairs(predicted, truth);
    if items.is_empty() {
        return Scores::new(0.0, 0.0);
    }
    let mut both: HashMap<(C, K), f64> = HashMap::new();
    let mut clusters: HashMap<C, f64> = HashMap::new();
    let mut classes: HashMap<K, f64> = HashMap::new();
    for (c, k) in &items {
        *both.entry((c.clone(), k.clone())).or_default() += 1.0;
        *clusters.entry(c.clone()).or_default() += 1.0;
        *classes.entry(k.clone()).or_default() += 1.0;
    }
    let (mut p, mut r) = (0.0, 0.0);
    for (c, k) in &items {
        let shared = both[&(c.clone(), k.clone())];
        p += shared / clusters[c];
        r += shared / classes[k];
    }
    let n = items.len() as f64;
    Scores::new(p / n, r / n)
}

/// Pairwise: of the item pairs put in one cluster, the share of one class (precision); of the
/// pairs of one class, the share put in one cluster (recall).
pub fn pairwise<I: Eq + Hash, C: Eq + Hash + Clone, K: Eq + Hash + Clone>(
    predicted: &HashMap<I, C>,
    truth: &HashMap<I, K>,
) -> Scores {
    let items = pairs(predicted, truth);
    let choose2 = |n: f64| n * (n - 1.0) / 2.0;
    let mut both: HashMap<(C, K), f64> = HashMap::new();
    let mut clusters: HashMap<C, f64> = HashMap::new();
    let mut classes: HashMap<K, f64> = HashMap::new();
    for (c, k) in items {
        *both.entry((c.clone(), k.clone())).or_default() += 1.0;
        *clusters.entry(c).or_default() += 1.0;
        *classes.entry(k).or_default() += 1.0;
    }
    let together: f64 = both.values().map(|n| choose2(*n)).sum();
    let predicted_pairs: f64 = clusters.values().map(|n| choose2(*n)).sum();
    let true_pairs: f64 = classes.values().map(|n| choose2(*n)).sum();
    let ratio = |a: f64, b: f64| if b == 0.0 { 1.0 } else { a / b };
    Scores::new(
        ratio(together, predicted_pairs),
        ratio(together, true_pairs),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(u32, &'static str)]) -> HashMap<u32, &'static str> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn scores_match_hand_computed_values() {
        let truth = map(&[(1, "a"), (2, "a"), (3, "a"), (4, "b"), (5, "b")]);
        // (prediction, BCubed P, R, pairwise P, R)
        let cases: Vec<(HashMap<u32, &str>, f64, f64, f64, f64)> = vec![
            (
                map(&[(1, "x"), (2, "x"), (3, "x"), (4, "y"), (5, "y")]),
                1.0,
                1.0,
                1.0,
                1.0,
            ),
            // Everything in one cluster: perfect recall, precision (3·3/5 + 2·2/5)/5 = 13/25.
            (
                map(&[(1, "x"), (2, "x"), (3, "x"), (4, "x"), (5, "x")]),
                13.0 / 25.0,
                1.0,
                4.0 / 10.0,
                1.0,
            ),
            // All singletons: perfect precision, recall (3·1/3 + 2·1/2)/5 = 2/5; no pairs.
            (
                map(&[(1, "p"), (2, "q"), (3, "r"), (4, "s"), (5, "t")]),
                1.0,
                0.4,
                1.0,
                0.0,
            ),
            // Class a split 2+1.
            (
                map(&[(1, "x"), (2, "x"), (3, "z"), (4, "y"), (5, "y")]),
                1.0,
                (2.0 / 3.0 * 2.0 + 1.0 / 3.0 + 2.0) / 5.0,
                1.0,
                2.0 / 4.0,
            ),
        ];
        for (predicted, bp, br, pp, pr) in cases {
            let b = bcubed(&predicted, &truth);
            let p = pairwise(&predicted, &truth);
            let close = |x: f64, y: f64| (x - y).abs() < 1e-9;
            assert!(
                close(b.precision, bp) && close(b.recall, br),
                "{predicted:?}: {b:?}"
            );
            assert!(
                close(p.precision, pp) && close(p.recall, pr),
                "{predicted:?}: {p:?}"
            );
        }
        // Items without a truth are left out.
        let extra = map(&[(1, "x"), (2, "x"), (3, "x"), (4, "y"), (5, "y"), (9, "x")]);
        assert_eq!(bcubed(&extra, &truth).f1, 1.0);
        assert_eq!(bcubed(&HashMap::<u32, &str>::new(), &truth).f1, 0.0);
    }
}
