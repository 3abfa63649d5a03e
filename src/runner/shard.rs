//! Splitting a suite across CI jobs (`--shard I/N`): deterministic, so every job computes
//! the same split without talking to the others, and even by work rather than by count,
//! since one long checkout flow can outweigh ten short sessions.

use crate::suite::SessionSpec;

/// `I/N`: this job is shard I (1-based) of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parse = |x: &str| x.trim().parse::<usize>().ok();
        match s.split_once('/').map(|(i, n)| (parse(i), parse(n))) {
            Some((Some(index), Some(count))) if count >= 1 && (1..=count).contains(&index) => {
                Ok(Self { index, count })
            }
            _ => Err(format!(
                "`{s}` is not a shard: use I/N with 1 ≤ I ≤ N, e.g. `2/4`"
            )),
        }
    }
}

/// The work a session represents: its number of recorded steps (a recording that does not
/// parse still counts 1: it is reported as an error by whichever shard gets it).
pub fn weight(spec: &SessionSpec) -> u64 {
    std::fs::read_to_string(&spec.recording)
        .ok()
        .and_then(|t| crate::recording::parse_recording(&t).ok())
        .map_or(1, |r| r.steps.len().max(1) as u64)
}

/// Each session's wall time in the last run's JSON report (`.reprise/out/report.json`), by
/// id; empty when there is none.
pub fn previous_durations(report: &std::path::Path) -> std::collections::HashMap<String, u64> {
    let parsed = std::fs::read_to_string(report)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    parsed
        .as_ref()
        .and_then(|r| r["sessions"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|s| Some((s["id"].as_str()?.to_string(), s["duration_ms"].as_u64()?)))
        .collect()
}

/// What a session is expected to take, in ms: its last duration, else an estimate from its
/// recorded steps (about what a step and its settling take).
pub fn expected_ms(spec: &SessionSpec, previous: &std::collections::HashMap<String, u64>) -> u64 {
    const MS_PER_STEP: u64 = 120;
    previous
        .get(&spec.id)
        .copied()
        .unwrap_or_else(|| weight(spec) * MS_PER_STEP)
}

/// How much expected work (ms, [`expected_ms`] summed) pays for each browser beyond the
/// first. A worker is a browser of its own, and the next session in a browser that already
/// runs costs a fraction of a launch (its tab is reused). With the full browser a launch
/// and first context cost about 2 s of CPU, and 6 s of work per extra browser was the break
/// even. The headless shell launches for about 0.3 core-seconds: on 2 cores, 3 and 2 real-app
/// flows (about 2 s of work each) took 0.75× and 0.82× the wall time on two browsers for
/// 1.2× and 1.14× the CPU (docs/performance.md, "The headless shell"); two sessions of a
/// second or less each still run on one.
pub const WORK_PER_EXTRA_BROWSER_MS: u64 = 2_000;

/// How many workers a run's expected work pays for: one, and one more per
/// [`WORK_PER_EXTRA_BROWSER_MS`].
pub fn workers_worth(work_ms: u64) -> usize {
    1 + usize::try_from(work_ms / WORK_PER_EXTRA_BROWSER_MS).unwrap_or(usize::MAX - 1)
}

/// The order to start sessions in on a run's workers: heaviest first (ties: suite order).
pub fn longest_first(specs: &[SessionSpec], weight: impl Fn(&SessionSpec) -> u64) -> Vec<usize> {
    let mut order: Vec<(u64, usize)> = specs.iter().map(&weight).zip(0..).collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    order.into_iter().map(|(_, i)| i).collect()
}

/// Longest-processing-time-first assignment: heaviest sessions first, each to the lightest
/// shard so far (ties: lower shard, then session id), which keeps shards within one session
/// of each other. Returns the sessions of `shard`, in their original order.
pub fn select(
    specs: Vec<SessionSpec>,
    shard: Shard,
    weight: impl Fn(&SessionSpec) -> u64,
) -> Vec<SessionSpec> {
    let mut order: Vec<(u64, usize)> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| (weight(s), i))
        .collect();
    order.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| specs[a.1].id.cmp(&specs[b.1].id))
    });
    let mut load = vec![0u64; shard.count];
    let mut owner = vec![0usize; specs.len()];
    for (w, i) in order {
        let lightest = (0..shard.count).min_by_key(|&b| (load[b], b)).unwrap_or(0);
        load[lightest] += w;
        owner[i] = lightest;
    }
    specs
        .into_iter()
        .enumerate()
        .filter(|(i, _)| owner[*i] == shard.index - 1)
        .map(|(_, s)| s)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(id: &str) -> SessionSpec {
        SessionSpec {
            id: id.into(),
            recording: format!("recordings/{id}.json").into(),
            mocks: None,
        }
    }

    #[test]
    fn workers_start_the_longest_sessions_first_by_last_duration_else_steps() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report.json");
        std::fs::write(
            &report,
            r#"{"sessions":[{"id":"a","duration_ms":900},{"id":"b","duration_ms":2500},{"id":"gone"}]}"#,
        )
        .unwrap();
        let previous = previous_durations(&report);
        assert_eq!(previous.get("b"), Some(&2500));
        assert_eq!(
            previous.len(),
            2,
            "a session without a duration is left out"
        );
        assert!(previous_durations(&dir.path().join("none.json")).is_empty());
        // `c` never ran: its recording cannot be read here, so it weighs one step
        let specs = vec![spec("a"), spec("b"), spec("c"), spec("d")];
        let order = longest_first(&specs, |s| expected_ms(s, &previous));
        assert_eq!(order, vec![1, 0, 2, 3], "b, a, then c and d in suite order");
    }

    #[test]
    fn parses_shards() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        assert!("0/4".parse::<Shard>().is_err());
        assert!("5/4".parse::<Shard>().is_err());
        assert!("1/0".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
    }

    #[test]
    fn every_session_lands_in_exactly_one_shard_evenly_by_weight() {
        let ids: Vec<String> = (0..23).map(|i| format!("s{i:02}")).collect();
        let specs: Vec<SessionSpec> = ids.iter().map(|i| spec(i)).collect();
        let w = |s: &SessionSpec| 1 + (s.id[1..].parse::<u64>().unwrap_or(0) * 7) % 20;
        let mut seen = Vec::new();
        let mut loads = Vec::new();
        for index in 1..=4 {
            let part = select(specs.clone(), Shard { index, count: 4 }, w);
            loads.push(part.iter().map(w).sum::<u64>());
            seen.extend(part.into_iter().map(|s| s.id));
        }
        seen.sort();
        assert_eq!(seen, ids);
        let (min, max) = (
            loads.iter().min().copied().unwrap_or(0),
            loads.iter().max().copied().unwrap_or(0),
        );
        assert!(max - min <= 20, "loads {loads:?}");
        // Deterministic: the same split every time.
        assert_eq!(
            select(specs.clone(), Shard { index: 2, count: 4 }, w),
            select(specs, Shard { index: 2, count: 4 }, w)
        );
    }

    #[test]
    fn another_browser_only_for_enough_work() {
        assert_eq!(workers_worth(0), 1);
        assert_eq!(workers_worth(WORK_PER_EXTRA_BROWSER_MS - 1), 1);
        assert_eq!(workers_worth(WORK_PER_EXTRA_BROWSER_MS), 2);
        assert_eq!(workers_worth(3 * WORK_PER_EXTRA_BROWSER_MS + 1), 4);
        assert!(workers_worth(u64::MAX) > 1);
    }

    #[test]
    fn one_shard_is_everything() {
        let specs = vec![spec("a"), spec("b")];
        assert_eq!(
            select(specs.clone(), Shard { index: 1, count: 1 }, |_| 3),
            specs
        );
    }
}
