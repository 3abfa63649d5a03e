//! Choosing sessions: lazy-greedy budgeted maximum coverage.
//!
//! Each candidate session covers a set of units (features and coverage blocks, see
//! `features.rs` and `coverage.rs`); a unit has a weight (its kind's weight times its rarity,
//! an idf). The value of a set of sessions is the weight of the units it covers, each unit
//! counted up to `min_cover` times (capped by how many pool sessions cover it). That value is
//! monotone and submodular, so the greedy choice, by marginal gain per second of replay,
//! comes within (1 − 1/e) of the best set for a session budget (and, compared with the best
//! single session, within a constant factor for a seconds budget). "Lazy": a session's last
//! computed gain is an upper bound of its gain now, so a priority queue of bounds re-evaluates
//! only the sessions that reach its top; selection over 10,000 sessions takes milliseconds.

use serde::Serialize;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// One candidate: the units it covers (indices into the weights) and its replay cost.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: String,
    /// Replay seconds (1.0 when unknown); must be > 0.
    pub cost: f64,
    pub units: Vec<u32>,
    pub pinned: bool,
    /// Already in the suite: wins ties, so baselines stay stable.
    pub in_suite: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Budget {
    Sessions(usize),
    Seconds(f64),
}

/// One chosen session, in rank order.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Pick {
    pub id: String,
    /// The weight it added when it was chosen.
    pub gain: f64,
    pub cost: f64,
    pub pinned: bool,
    pub in_suite: bool,
    /// Share of the pool's coverable weight the set covers once this session is in (0..=1).
    pub cumulative: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Selection {
    pub picks: Vec<Pick>,
    /// Units the pool covers that the chosen set does not (indices into the weights).
    pub uncovered: Vec<u32>,
    /// Weight covered (each unit up to its demand) and the most that could be.
    pub covered_weight: f64,
    pub total_weight: f64,
    pub cost: f64,
}

impl Selection {
    /// Covered share of the pool's weight, 1.0 for an empty pool.
    pub fn share(&self) -> f64 {
        if self.total_weight <= 0.0 {
            1.0
        } else {
            self.covered_weight / self.total_weight
        }
    }
}

/// The heap entry: an upper bound of a candidate's gain per cost, with the tie-breakers.
struct Entry {
    ratio: f64,
    in_suite: bool,
    idx: usize,
    /// The candidate's id rank (smaller id first on equal ratio and suite membership).
    id_rank: usize,
}

impl Entry {
    fn key_cmp(&self, other: &Self) -> Ordering {
        self.ratio
            .total_cmp(&other.ratio)
            .then(self.in_suite.cmp(&other.in_suite))
            .then(other.id_rank.cmp(&self.id_rank))
    }
}
impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.key_cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key_cmp(other)
    }
}

/// State while choosing: how often each unit is covered and how often it should be.
struct Cover<'a> {
    weights: &'a [f64],
    demand: Vec<u32>,
    count: Vec<u32>,
}

impl Cover<'_> {
    fn gain(&self, c: &Candidate) -> f64 {
        c.units
            .iter()
            .filter(|&&u| self.count[u as usize] < self.demand[u as usize])
            .map(|&u| self.weights[u as usize])
            .sum()
    }
    fn take(&mut self, c: &Candidate) {
        for &u in &c.units {
            self.count[u as usize] += 1;
        }
    }
}

/// Chooses sessions within the budget. Pinned candidates come first (in the order given, even
/// past the budget: a pin is a promise), then the greedy choice. A candidate listing a unit
/// twice counts it once.
pub fn select(
    candidates: &[Candidate],
    weights: &[f64],
    budget: Budget,
    min_cover: u32,
) -> Selection {
    let candidates: Vec<Candidate> = candidates
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c.units.sort_unstable();
            c.units.dedup();
            c.units.retain(|&u| (u as usize) < weights.len());
            c
        })
        .collect();
    let chosen = greedy(&candidates, weights, budget, min_cover.max(1), true);
    // For a seconds budget the ratio rule can lose to one expensive session that covers
    // much more; the better of the two keeps the constant-factor guarantee.
    if let Budget::Seconds(limit) = budget {
        let pinned_cost: f64 = candidates.iter().filter(|c| c.pinned).map(|c| c.cost).sum();
        let best_single = candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.pinned && pinned_cost + c.cost <= limit)
            .map(|(i, c)| (i, c.units.iter().map(|&u| weights[u as usize]).sum::<f64>()))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((i, _)) = best_single {
            let mut only: Vec<Candidate> = candidates.clone();
            for (j, c) in only.iter_mut().enumerate() {
                if j != i && !c.pinned {
                    c.units.clear();
                }
            }
            let single = greedy(&only, weights, budget, min_cover.max(1), true);
            if single.covered_weight > chosen.covered_weight + 1e-9 {
                return finish(single, &candidates, weights, min_cover.max(1));
            }
        }
    }
    finish(chosen, &candidates, weights, min_cover.max(1))
}

/// Fills in what the set leaves uncovered.
fn finish(
    mut s: Selection,
    candidates: &[Candidate],
    weights: &[f64],
    min_cover: u32,
) -> Selection {
    let (demand, _) = demand(candidates, weights.len(), min_cover);
    let mut covered = vec![false; weights.len()];
    for p in &s.picks {
        if let Some(c) = candidates.iter().find(|c| c.id == p.id) {
            for &u in &c.units {
                covered[u as usize] = true;
            }
        }
    }
    s.uncovered = (0..weights.len() as u32)
        .filter(|&u| demand[u as usize] > 0 && !covered[u as usize])
        .collect();
    s
}

/// How many times each unit should be covered: `min_cover`, or fewer when fewer pool sessions
/// cover it; and the total weight that demand is worth.
fn demand(candidates: &[Candidate], n: usize, min_cover: u32) -> (Vec<u32>, Vec<u32>) {
    let mut pool = vec![0u32; n];
    for c in candidates {
        for &u in &c.units {
            pool[u as usize] += 1;
        }
    }
    let demand = pool.iter().map(|&p| p.min(min_cover)).collect();
    (demand, pool)
}

/// The greedy choice; `lazy` false re-evaluates every candidate each round (the reference the
/// tests compare the lazy version with).
fn greedy(
    candidates: &[Candidate],
    weights: &[f64],
    budget: Budget,
    min_cover: u32,
    lazy: bool,
) -> Selection {
    let (demand, _) = demand(candidates, weights.len(), min_cover);
    let total_weight: f64 = demand
        .iter()
        .zip(weights)
        .map(|(&d, &w)| d as f64 * w)
        .sum();
    let mut cover = Cover {
        weights,
        demand,
        count: vec![0; weights.len()],
    };
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| candidates[a].id.cmp(&candidates[b].id));
    let mut id_rank = vec![0; candidates.len()];
    for (r, &i) in order.iter().enumerate() {
        id_rank[i] = r;
    }
    let mut picks = Vec::new();
    let mut covered_weight = 0.0;
    let mut push = |i: usize, gain: f64, cover: &mut Cover, picks: &mut Vec<Pick>| {
        let c = &candidates[i];
        cover.take(c);
        covered_weight += gain;
        picks.push(Pick {
            id: c.id.clone(),
            gain,
            cost: c.cost,
            pinned: c.pinned,
            in_suite: c.in_suite,
            cumulative: if total_weight > 0.0 {
                covered_weight / total_weight
            } else {
                1.0
            },
        });
    };
    for (i, c) in candidates.iter().enumerate() {
        if c.pinned {
            let g = cover.gain(c);
            push(i, g, &mut cover, &mut picks);
        }
    }
    let fits = |picks: &Vec<Pick>, spent_now: f64, c: &Candidate| match budget {
        Budget::Sessions(n) => picks.len() < n,
        Budget::Seconds(s) => spent_now + c.cost <= s + 1e-9,
    };
    // A session budget counts sessions, so every session costs 1 there; seconds are the
    // cost only under a seconds budget.
    let ratio = |gain: f64, c: &Candidate| match budget {
        Budget::Sessions(_) => gain,
        Budget::Seconds(_) => gain / c.cost.max(1e-9),
    };
    let entry = |i: usize, r: f64| Entry {
        ratio: r,
        in_suite: candidates[i].in_suite,
        idx: i,
        id_rank: id_rank[i],
    };
    let mut spent_now = picks.iter().map(|p| p.cost).sum::<f64>();
    if lazy {
        let mut heap: BinaryHeap<Entry> = candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.pinned)
            .map(|(i, c)| entry(i, ratio(cover.gain(c), c)))
            .collect();
        while let Some(top) = heap.pop() {
            let c = &candidates[top.idx];
            if !fits(&picks, spent_now, c) {
                if matches!(budget, Budget::Sessions(_)) {
                    break;
                }
                continue;
            }
            let g = cover.gain(c);
            if g <= 0.0 {
                continue;
            }
            let fresh = entry(top.idx, ratio(g, c));
            if heap.peek().is_none_or(|next| fresh >= *next) {
                push(top.idx, g, &mut cover, &mut picks);
                spent_now += c.cost;
            } else {
                heap.push(fresh);
            }
        }
    } else {
        loop {
            let best = candidates
                .iter()
                .enumerate()
                .filter(|(_, c)| !chosen_or_pinned(&picks, c) && fits(&picks, spent_now, c))
                .map(|(i, c)| (cover.gain(c), i))
                .filter(|(g, _)| *g > 0.0)
                .map(|(g, i)| (entry(i, ratio(g, &candidates[i])), g))
                .max_by(|a, b| a.0.cmp(&b.0));
            let Some((e, g)) = best else { break };
            push(e.idx, g, &mut cover, &mut picks);
            spent_now += candidates[e.idx].cost;
        }
    }
    let cost = picks.iter().map(|p| p.cost).sum();
    let covered_weight = picks.iter().map(|p| p.gain).sum();
    Selection {
        picks,
        uncovered: Vec::new(),
        covered_weight,
        total_weight,
        cost,
    }
}

fn chosen_or_pinned(picks: &[Pick], c: &Candidate) -> bool {
    c.pinned || picks.iter().any(|p| p.id == c.id)
}

/// Unit weights from how many candidates cover each unit: `kind_weight × ln(1 + n / df)`, so
/// a unit every session covers counts little and the one rare path counts most.
pub fn idf_weights(candidates: &[Candidate], kind_weights: &[f64]) -> Vec<f64> {
    let n = candidates.len().max(1) as f64;
    let mut df = vec![0u32; kind_weights.len()];
    for c in candidates {
        let mut u = c.units.clone();
        u.sort_unstable();
        u.dedup();
        for x in u {
            if let Some(d) = df.get_mut(x as usize) {
                *d += 1;
            }
        }
    }
    kind_weights
        .iter()
        .zip(&df)
        .map(|(&k, &d)| {
            if d == 0 {
                0.0
            } else {
                k * (1.0 + n / d as f64).ln()
            }
        })
        .collect()
}

/// A deterministic synthetic pool for the benchmark and tests: `n` sessions over `units`
/// units, mostly drawn from a few common paths, a few from the long tail.
pub fn synthetic(n: usize, units: usize, seed: u64) -> (Vec<Candidate>, Vec<f64>) {
    let mut rng = Rng(seed.max(1));
    let common = (units / 20).max(1);
    let candidates: Vec<Candidate> = (0..n)
        .map(|i| {
            let k = 20 + (rng.next_u64() % 40) as usize;
            let units: Vec<u32> = (0..k)
                .map(|_| {
                    if rng.next_u64() % 10 < 8 {
                        (rng.next_u64() % common as u64) as u32
                    } else {
                        (rng.next_u64() % units as u64) as u32
                    }
                })
                .collect();
            Candidate {
                id: format!("s{i:06}"),
                cost: 1.0 + (rng.next_u64() % 300) as f64 / 10.0,
                units,
                pinned: false,
                in_suite: false,
            }
        })
        .collect();
    let weights = idf_weights(&candidates, &vec![1.0; units]);
    (candidates, weights)
}

/// xorshift64*: reproducible without a dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(id: &str, units: &[u32]) -> Candidate {
        Candidate {
            id: id.into(),
            cost: 1.0,
            units: units.to_vec(),
            pinned: false,
            in_suite: false,
        }
    }

    fn value(cands: &[&Candidate], weights: &[f64], k: u32) -> f64 {
        let mut count = vec![0u32; weights.len()];
        for c in cands {
            let mut u = c.units.clone();
            u.sort_unstable();
            u.dedup();
            for x in u {
                count[x as usize] += 1;
            }
        }
        count
            .iter()
            .zip(weights)
            .map(|(&c, &w)| c.min(k) as f64 * w)
            .sum()
    }

    #[test]
    fn greedy_takes_the_rare_path_and_reports_what_is_left() {
        let c = vec![
            cand("a", &[0, 1]),
            cand("b", &[0, 1]),
            cand("c", &[0, 1, 2]),
            cand("rare", &[3]),
        ];
        let w = idf_weights(&c, &[1.0; 4]);
        let s = select(&c, &w, Budget::Sessions(1), 1);
        assert_eq!(s.picks.len(), 1);
        assert_eq!(s.picks[0].id, "c");
        assert_eq!(s.uncovered, vec![3]);
        let s = select(&c, &w, Budget::Sessions(3), 1);
        let ids: Vec<&str> = s.picks.iter().map(|p| p.id.as_str()).collect();
        // zero-gain sessions are not taken even with budget left
        assert_eq!(ids, vec!["c", "rare"]);
        assert!(s.uncovered.is_empty());
        assert!((s.share() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn pinned_first_suite_members_win_ties_and_min_cover_counts_twice() {
        let mut c = vec![cand("a", &[0]), cand("b", &[0]), cand("p", &[1])];
        c[1].in_suite = true;
        c[2].pinned = true;
        let w = vec![1.0, 1.0];
        let s = select(&c, &w, Budget::Sessions(2), 1);
        let ids: Vec<&str> = s.picks.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, vec!["p", "b"]);
        let s = select(&c, &w, Budget::Sessions(3), 2);
        let ids: Vec<&str> = s.picks.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, vec!["p", "b", "a"]);
    }

    #[test]
    fn a_session_budget_ignores_replay_seconds() {
        let mut c = vec![cand("slow-big", &[0, 1, 2]), cand("fast-small", &[3])];
        c[0].cost = 30.0;
        let s = select(&c, &[1.0; 4], Budget::Sessions(1), 1);
        assert_eq!(s.picks[0].id, "slow-big");
    }

    #[test]
    fn a_seconds_budget_prefers_gain_per_second_and_respects_the_limit() {
        let mut c = vec![
            cand("slow", &[0, 1, 2]),
            cand("fast1", &[0, 1]),
            cand("fast2", &[2]),
        ];
        c[0].cost = 10.0;
        let w = vec![1.0; 3];
        let s = select(&c, &w, Budget::Seconds(2.0), 1);
        let ids: Vec<&str> = s.picks.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, vec!["fast1", "fast2"]);
        assert!(s.cost <= 2.0);
        // the one expensive session beats cheap crumbs
        let mut c = vec![cand("big", &[0, 1, 2, 3, 4, 5]), cand("crumb", &[6])];
        c[0].cost = 5.0;
        c[1].cost = 0.1;
        let s = select(&c, &[1.0; 7], Budget::Seconds(5.0), 1);
        assert_eq!(s.picks[0].id, "big");
    }

    /// Proof-style: on random small instances, the lazy greedy picks exactly what the plain
    /// greedy picks, and its value is at least (1 − 1/e) of the optimum found by brute force.
    #[test]
    fn lazy_greedy_matches_plain_greedy_and_the_bound_against_brute_force() {
        let mut rng = Rng(7);
        for round in 0..300 {
            let n = 3 + (rng.next_u64() % 7) as usize;
            let units = 3 + (rng.next_u64() % 10) as usize;
            let cands: Vec<Candidate> = (0..n)
                .map(|i| {
                    let k = 1 + (rng.next_u64() % 4) as usize;
                    let u: Vec<u32> = (0..k)
                        .map(|_| (rng.next_u64() % units as u64) as u32)
                        .collect();
                    let mut c = cand(&format!("c{i}"), &u);
                    c.units.sort_unstable();
                    c.units.dedup();
                    c
                })
                .collect();
            let w: Vec<f64> = (0..units)
                .map(|_| 1.0 + (rng.next_u64() % 5) as f64)
                .collect();
            let budget = 1 + (rng.next_u64() % 4) as usize;
            let k = 1 + (round % 2) as u32;
            let lazy = greedy(&cands, &w, Budget::Sessions(budget), k, true);
            let plain = greedy(&cands, &w, Budget::Sessions(budget), k, false);
            let ids = |s: &Selection| s.picks.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
            assert_eq!(ids(&lazy), ids(&plain), "round {round}");
            let mut best: f64 = 0.0;
            for mask in 0u32..(1 << n) {
                if mask.count_ones() as usize > budget {
                    continue;
                }
                let set: Vec<&Candidate> = (0..n)
                    .filter(|i| mask & (1 << i) != 0)
                    .map(|i| &cands[i])
                    .collect();
                best = best.max(value(&set, &w, k));
            }
            let chosen: Vec<&Candidate> = lazy
                .picks
                .iter()
                .map(|p| cands.iter().find(|c| c.id == p.id).expect("picked"))
                .collect();
            let got = value(&chosen, &w, k);
            assert!((got - lazy.covered_weight).abs() < 1e-6, "round {round}");
            assert!(
                got + 1e-9 >= (1.0 - 1.0 / std::f64::consts::E) * best,
                "round {round}: greedy {got} < (1-1/e) × optimum {best}"
            );
        }
    }

    #[test]
    fn ten_thousand_synthetic_sessions_are_selected_quickly() {
        let (c, w) = synthetic(10_000, 5_000, 42);
        let started = std::time::Instant::now();
        let s = select(&c, &w, Budget::Sessions(50), 1);
        let took = started.elapsed();
        assert_eq!(s.picks.len(), 50);
        // the goal is < 1 s in a release build; an unoptimised test build gets headroom
        assert!(took.as_secs_f64() < 10.0, "took {took:?}");
    }
}
